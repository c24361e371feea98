// The kernel's own vDSO code and the project's image, side by side under one
// emulated data page.
//
// The live kernel's data page cannot be set: is_ready = 0, a generation
// change at a chosen moment, a wrap-around or the value 0 can only be shown
// to code that reads an emulated page.  Here the kernel's vDSO, copied from
// this process's mapping and loaded by the loader with the layout its own
// code reveals (OpenOptions::layout_from_code), shares the project image's
// emulated data area (OpenOptions::share_data_with): one DataPage, two
// implementations, every path compared byte for byte, syscalls included
// (answered by the getrandom trap, so both get the same key bytes).
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "child_process.h"
#include "child_report.h"
#include "emulated_path_cases.h"
#include "mid_call.h"
#include "targets.h"
#include "test_seed.h"
#include "trapped_run.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

using namespace conformance;

namespace {

struct SideBySide {
  std::unique_ptr<vdsoforge::LoadedImage> image;   // owns the data page
  std::unique_ptr<vdsoforge::LoadedImage> kernel;  // the kernel's code, over the same page
  vdsoforge::DataPage* page = nullptr;
};

SideBySide& side_by_side() {
  static SideBySide opened = [] {
    SideBySide s;
    targets();  // skips when the kernel has no vDSO getrandom
    vdsoforge::Error err;
    vdsoforge::OpenOptions options;
    options.mode = vdsoforge::GenerationMode::manual;
    // No time-mirroring thread either: these children fork, and a thread
    // holding the sanitizer allocator's lock at fork() deadlocks the child.
    options.time_mode = vdsoforge::TimeMode::manual;
    s.image = vdsoforge::LoadedImage::open_file(VDSOFORGE_CONFORMANCE_IMAGE, err, options);
    if (!s.image) FAIL("open_file(image): " << err.message);
    const auto bytes = vdsoforge::kernel_vdso_bytes(err);
    if (bytes.empty()) FAIL("kernel_vdso_bytes: " << err.message);
    options.layout_from_code = true;
    options.share_data_with = s.image.get();
    s.kernel = vdsoforge::LoadedImage::open_memory(bytes, err, options);
    if (!s.kernel) FAIL("the kernel's vDSO under emulation: " << err.message);
    s.page = s.image->data_page();
    REQUIRE(s.kernel->data_page() == s.page);
    REQUIRE(s.kernel->getrandom() != nullptr);
    s.page->set_ready(true);
    return s;
  }();
  return opened;
}

StateBytes state_with(uint64_t generation, uint64_t seed, uint8_t pos) {
  return scripted_state(generation, pos, seed ^ 0x7a7a, 99);
}

// Both implementations from the same state and the same trap script.
std::string compare_pair(const StateBytes& start, size_t len, unsigned flags,
                         const TrapScript& script, TrappedOutcome* kernel_out = nullptr) {
  const TrappedOutcome kernel =
      run_trapped(as_impl(side_by_side().kernel->getrandom()), start, len, flags, script);
  const TrappedOutcome image =
      run_trapped(as_impl(side_by_side().image->getrandom()), start, len, flags, script);
  if (kernel_out) *kernel_out = kernel;
  return compare_trapped(kernel, image);
}

}  // namespace

TEST_CASE("the kernel's vDSO code loads under an emulated page with the layout its code shows") {
  SideBySide& s = side_by_side();
  const vdsoforge::DetectedLayout layout = vdsoforge::detect_data_layout(s.kernel->elf());
  INFO(vdsoforge::describe(layout));
  CHECK(layout.confidence == vdsoforge::LayoutConfidence::certain);
  CHECK(s.kernel->data_area_size() == layout.data_area_size());
  CHECK(s.kernel->data_area_size() == s.image->data_area_size());
  CHECK_FALSE(s.kernel->is_kernel());
  // The copy's text is not the kernel's mapping.
  CHECK(s.kernel->base() != targets().kernel->base());
}

TEST_CASE("live kernel, emulated kernel code and image: byte for byte on a kernel-seeded state") {
  SideBySide& s = side_by_side();
  const StateBytes seeded = kernel_seeded_state();
  // The emulated page carries the live kernel's generation, so nothing reseeds.
  s.page->set_generation(state_generation(seeded));
  int compared = 0;
  for (size_t len : {0, 1, 16, 63, 64, 95, 96, 97, 200, 4096, 10000}) {
    for (unsigned flags : {0u, 1u, 4u}) {
      const CallOutcome live = run_call(as_impl(targets().kernel_getrandom), seeded, len, flags);
      const CallOutcome emulated = run_call(as_impl(s.kernel->getrandom()), seeded, len, flags);
      const CallOutcome image = run_call(as_impl(s.image->getrandom()), seeded, len, flags);
      if (state_generation(live.state) != state_generation(seeded)) {
        // The kernel reseeded between the seeding and this call: start over.
        WARN("the kernel's generation moved during the comparison; skipping len " << len);
        continue;
      }
      INFO("len " << len << ", flags " << flags);
      CHECK(compare_outcomes(live, emulated).empty());
      CHECK(compare_outcomes(live, image).empty());
      ++compared;
    }
  }
  CHECK(compared > 20);
}

TEST_CASE("is_ready 0 / generation changes / wrap-around / generation 0: kernel code == image") {
  const uint64_t seed = test_seed("kernel-emulated-paths");
  side_by_side();
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    vdsoforge::DataPage& page = *side_by_side().page;
    for (const EmulatedPathCase& c : kEmulatedPathCases) {
      for (uint64_t round = 0; round < 12; ++round) {
        const uint8_t pos = static_cast<uint8_t>((round * 13) % 97);
        const StateBytes start = state_with(c.state_generation, seed + round, pos);
        page.set_ready(c.ready);
        page.set_generation(c.page_generation);
        const size_t len = 1 + round * 37;
        const unsigned flags = round % 3 == 2 ? 4u : 0u;
        const TrapScript script{seed + round};
        TrappedOutcome kernel;
        const std::string diff = compare_pair(start, len, flags, script, &kernel);
        r.check(diff.empty(),
                std::string(c.name) + ", round " + std::to_string(round) + ": " + diff);
        if (!c.ready)
          r.check(kernel.syscalls == 1 && kernel.log[0].len == len,
                  std::string(c.name) + ": the kernel code did not fall back to the syscall");
        ++r.counts[0];
      }
    }
    page.set_ready(true);
    // Mid-call: the generation moves while the call writes its output.
    for (uint64_t round = 0; round < 12; ++round) {
      const uint64_t g = 900 + round;
      const StateBytes start = state_with(g, seed + 50 + round, 96);
      const TrapScript script{seed + 50 + round};
      const MidCallOutcome kernel =
          mid_call(side_by_side().kernel->getrandom(), page, start, g, g + 1, script);
      const MidCallOutcome image =
          mid_call(side_by_side().image->getrandom(), page, start, g, g + 1, script);
      const std::string tag = "mid-call round " + std::to_string(round) + ": ";
      r.check(kernel.faults == 1 && image.faults == 1, tag + "the change did not happen mid-call");
      r.check(kernel.ret == image.ret, tag + "return values differ");
      r.check(kernel.output == image.output, tag + "outputs differ");
      r.check(kernel.state == image.state, tag + "final states differ");
      r.check(kernel.syscalls == image.syscalls, tag + "syscall counts differ");
      r.check(state_generation(image.state) == g + 1, tag + "not retried under the new generation");
      ++r.counts[1];
    }
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  CHECK(report.counts[0] == 6 * 12);
  CHECK(report.counts[1] == 12);
  std::printf(
      "[conformance] kernel-code-under-emulation: %ld calls on the emulated-only paths and "
      "%ld mid-call generation changes, kernel code == image\n",
      report.counts[0], report.counts[1]);
}
