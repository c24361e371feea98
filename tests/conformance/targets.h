// The two getrandoms under comparison, opened once per test process: the live
// kernel vDSO and the built image, mapped by the loader with a data page the
// test drives (GenerationMode::manual).
#pragma once

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "call_outcome.h"
#include "skip.h"
#include "vdsoforge/loader.h"

// "The image" is the built image with the ChaCha20 routine the loader picks,
// unless a test program is built for one routine: tests.cmake builds some
// programs once more per routine with VDSOFORGE_CONFORMANCE_ROUTINE naming it.
#define VDSOFORGE_CONFORMANCE_IMAGE VDSOFORGE_TEST_IMAGE

namespace conformance {

struct Targets {
  std::unique_ptr<vdsoforge::LoadedImage> kernel;
  std::unique_ptr<vdsoforge::LoadedImage> image;
  vdsoforge::GetrandomFn kernel_getrandom = nullptr;
  vdsoforge::GetrandomFn image_getrandom = nullptr;
  vdsoforge::DataPage* page = nullptr;  // the image's emulated vdso_rng_data
};

// Skips (exit 77) only when the kernel truly lacks a vDSO getrandom; a
// loader failure on the image is a test failure.
inline Targets& targets() {
  static Targets opened = [] {
    Targets t;
    vdsoforge::Error err;
    t.kernel = vdsoforge::LoadedImage::open_kernel(err);
    if (!t.kernel) {
      if (err.code == vdsoforge::LoaderErrc::kernel_vdso_unavailable)
        vdsoforge_skip("no kernel vDSO");
      FAIL("open_kernel: " << err.message);
    }
    t.kernel_getrandom = t.kernel->getrandom();
    if (!t.kernel_getrandom)
      vdsoforge_skip("the kernel vDSO has no __vdso_getrandom (Linux < 6.11)");

    vdsoforge::OpenOptions options;
    options.mode = vdsoforge::GenerationMode::manual;
    // No time-mirroring thread either: these children fork, and a thread
    // holding the sanitizer allocator's lock at fork() deadlocks the child.
    options.time_mode = vdsoforge::TimeMode::manual;
#ifdef VDSOFORGE_CONFORMANCE_ROUTINE
    const auto wanted = vdsoforge::parse_chacha20_routine(VDSOFORGE_CONFORMANCE_ROUTINE);
    if (!wanted) FAIL("unknown routine " VDSOFORGE_CONFORMANCE_ROUTINE);
    if (!vdsoforge::cpu_supports(*wanted))
      vdsoforge_skip("this CPU cannot run the " VDSOFORGE_CONFORMANCE_ROUTINE " ChaCha20 routine");
    options.chacha20 = *wanted;
#endif
    t.image = vdsoforge::LoadedImage::open_file(VDSOFORGE_CONFORMANCE_IMAGE, err, options);
    if (!t.image) FAIL("open_file(" VDSOFORGE_CONFORMANCE_IMAGE "): " << err.message);
    const auto routine = t.image->chacha20_routine();
    if (!routine) FAIL("the loader reports no ChaCha20 routine for the image");
#ifdef VDSOFORGE_CONFORMANCE_ROUTINE
    if (*routine != *wanted) FAIL("the loader patched in another routine than asked for");
#endif
    std::printf("[conformance] in this test program \"image\" runs the %s ChaCha20 routine\n",
                std::string(vdsoforge::chacha20_routine_name(*routine)).c_str());
    t.image_getrandom = t.image->getrandom();
    if (!t.image_getrandom) FAIL("the image exports no __vdso_getrandom@LINUX_2.6");
    t.page = t.image->data_page();
    if (!t.page) FAIL("the loaded image has no data page");
    t.page->set_ready(true);
    return t;
  }();
  return opened;
}

inline GetrandomImpl as_impl(vdsoforge::GetrandomFn fn) {
  return [fn](void* b, size_t l, unsigned f, void* s, size_t o) { return fn(b, l, f, s, o); };
}

// A state seeded by the kernel vDSO: it carries the kernel's generation.
inline StateBytes kernel_seeded_state(size_t first_len = 1) {
  StateBytes zero{};
  CallOutcome seeded = run_call(as_impl(targets().kernel_getrandom), zero, first_len, 0);
  REQUIRE(seeded.ret == static_cast<long>(first_len));
  REQUIRE(state_generation(seeded.state) != 0);
  return seeded.state;
}

}  // namespace conformance
