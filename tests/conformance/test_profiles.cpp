// The images built for every kernel's data layout, under the loader's
// emulation of that layout, outside and (for the pre-6.15 profiles) inside
// an emulated time namespace: byte for byte equal to the live kernel vDSO on
// a state it seeded, and equal to the project's default image (which the
// other conformance tests pin to the kernel and the model) on the paths only
// an emulated page can reach: is_ready 0, generation changes (between calls
// and in the middle of one), wrap-around and generation 0.  Inside a namespace the vvar slot holds
// a page whose rng data reads "not ready", so an image that missed the indirection would fall back
// to the syscall and fail every comparison here.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "emulated_path_cases.h"
#include "mid_call.h"
#include "targets.h"
#include "test_seed.h"
#include "trapped_run.h"
#include "vdsoforge/layout_profiles.h"

using namespace conformance;

namespace {

struct Emulated {
  std::string name;  // "linux-6.11 in a time namespace"
  std::unique_ptr<vdsoforge::LoadedImage> image;
};

// Every profile image, and the pre-6.15 ones once more inside a namespace.
std::vector<Emulated>& emulated() {
  static std::vector<Emulated> all = [] {
    targets();  // skips when the kernel has no vDSO getrandom
    std::vector<Emulated> out;
    for (const vdsoforge::layout::Profile* profile : vdsoforge::layout::kProfiles) {
      for (const bool timens : {false, true}) {
        if (timens && !profile->has_timens_indirection) continue;
        vdsoforge::OpenOptions options;
        options.mode = vdsoforge::GenerationMode::manual;
        // No time-mirroring thread either: these children fork, and a thread
        // holding the sanitizer allocator's lock at fork() deadlocks the child.
        options.time_mode = vdsoforge::TimeMode::manual;
        options.time_namespace = timens;
        const std::string path = std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) +
                                 "/vdsoforge-getrandom-" + profile->name + ".so";
        vdsoforge::Error err;
        auto image = vdsoforge::LoadedImage::open_file(path, err, options);
        if (!image) FAIL("open_file(" << path << "): " << err.message);
        if (image->layout_profile() != profile)
          FAIL(path << ": the loader emulates another profile");
        if (image->data_page()->in_time_namespace() != timens)
          FAIL(path << ": the time-namespace switch did not take");
        image->data_page()->set_ready(true);
        out.push_back({std::string(profile->name) + (timens ? " in a time namespace" : ""),
                       std::move(image)});
      }
    }
    return out;
  }();
  return all;
}

StateBytes state_with(uint64_t generation, uint64_t seed, uint8_t pos) {
  return scripted_state(generation, pos, seed ^ 0x5eed, 77);
}

}  // namespace

TEST_CASE("every profile, in and out of a time namespace: byte for byte the live kernel's") {
  REQUIRE(emulated().size() == 5);
  const StateBytes seeded = kernel_seeded_state();
  int compared = 0;
  for (Emulated& e : emulated()) {
    // The emulated page carries the live kernel's generation, so nothing reseeds.
    e.image->data_page()->set_generation(state_generation(seeded));
    for (size_t len : {0, 1, 16, 63, 64, 95, 96, 97, 200, 4096, 10000}) {
      for (unsigned flags : {0u, 1u, 4u}) {
        const CallOutcome live = run_call(as_impl(targets().kernel_getrandom), seeded, len, flags);
        const CallOutcome image = run_call(as_impl(e.image->getrandom()), seeded, len, flags);
        if (state_generation(live.state) != state_generation(seeded)) {
          WARN("the kernel's generation moved during the comparison; skipping len " << len);
          continue;
        }
        INFO(e.name << ", len " << len << ", flags " << flags);
        CHECK(compare_outcomes(live, image).empty());
        ++compared;
      }
    }
  }
  CHECK(compared > 5 * 20);
}

TEST_CASE("every profile, in and out of a time namespace: the emulated-only paths as the image") {
  const uint64_t seed = test_seed("profiles-paths");
  emulated();
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    vdsoforge::DataPage& reference_page = *targets().page;
    for (Emulated& e : emulated()) {
      vdsoforge::DataPage& page = *e.image->data_page();
      for (const EmulatedPathCase& c : kEmulatedPathCases) {
        for (uint64_t round = 0; round < 6; ++round) {
          const uint8_t pos = static_cast<uint8_t>((round * 29) % 97);
          const StateBytes start = state_with(c.state_generation, seed + round, pos);
          for (vdsoforge::DataPage* p : {&page, &reference_page}) {
            p->set_ready(c.ready);
            p->set_generation(c.page_generation);
          }
          const size_t len = 1 + round * 53;
          const unsigned flags = round % 3 == 2 ? 4u : 0u;
          const TrapScript script{seed + round};
          const TrappedOutcome image =
              run_trapped(as_impl(e.image->getrandom()), start, len, flags, script);
          const TrappedOutcome reference =
              run_trapped(as_impl(targets().image_getrandom), start, len, flags, script);
          const std::string tag =
              e.name + ", " + c.name + ", round " + std::to_string(round) + ": ";
          r.check(compare_trapped(reference, image).empty(),
                  tag + compare_trapped(reference, image));
          // The paths must really be the ones named: no syscall when the
          // state is current, one key fetch on a reseed, the whole request
          // through the syscall when not ready.
          const bool reseed = c.ready && c.state_generation != c.page_generation;
          const size_t expected_syscalls = !c.ready ? 1 : reseed ? 1 : 0;
          r.check(image.syscalls == expected_syscalls, tag + std::to_string(image.syscalls) +
                                                           " syscalls, expected " +
                                                           std::to_string(expected_syscalls));
          ++r.counts[0];
        }
      }
      page.set_ready(true);
      // Mid-call: the generation moves while the call writes its output; the
      // call must start over under the new generation, as the default image does.
      for (uint64_t round = 0; round < 6; ++round) {
        const uint64_t g = 900 + round;
        const StateBytes start = state_with(g, seed + 50 + round, 96);
        const TrapScript script{seed + 50 + round};
        reference_page.set_ready(true);
        const MidCallOutcome image = mid_call(e.image->getrandom(), page, start, g, g + 1, script);
        const MidCallOutcome reference =
            mid_call(targets().image_getrandom, reference_page, start, g, g + 1, script);
        const std::string tag = e.name + ", mid-call round " + std::to_string(round) + ": ";
        r.check(image.faults == 1 && reference.faults == 1,
                tag + "the change did not happen mid-call");
        r.check(image.ret == reference.ret, tag + "return values differ");
        r.check(image.output == reference.output, tag + "outputs differ");
        r.check(image.state == reference.state, tag + "final states differ");
        r.check(image.syscalls == reference.syscalls, tag + "syscall counts differ");
        r.check(state_generation(image.state) == g + 1,
                tag + "not retried under the new generation");
        ++r.counts[1];
      }
    }
    reference_page.set_ready(true);
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  CHECK(report.counts[0] == 5 * 6 * 6);
  CHECK(report.counts[1] == 5 * 6);
  std::printf(
      "[conformance] profiles: %ld calls on the emulated-only paths and %ld mid-call generation "
      "changes over 3 profiles and 2 time namespaces, each == the default image\n",
      report.counts[0], report.counts[1]);
}

TEST_CASE("switching the namespace between calls keeps a state's stream: it is one page") {
  for (Emulated& e : emulated()) {
    if (!e.image->layout_profile()->has_timens_indirection) continue;
    vdsoforge::DataPage& page = *e.image->data_page();
    INFO(e.name);
    const StateBytes seeded = kernel_seeded_state();
    page.set_generation(state_generation(seeded));
    const bool was_inside = page.in_time_namespace();
    // Two calls in a row on the live kernel, and the same two with the
    // namespace switched in between: the rng data read is the same page.
    const CallOutcome live_first = run_call(as_impl(targets().kernel_getrandom), seeded, 40, 0);
    const CallOutcome live_second =
        run_call(as_impl(targets().kernel_getrandom), live_first.state, 40, 0);
    if (state_generation(live_second.state) != state_generation(seeded)) {
      WARN("the kernel reseeded during the comparison");
      continue;
    }
    const CallOutcome first = run_call(as_impl(e.image->getrandom()), seeded, 40, 0);
    REQUIRE_FALSE(page.set_time_namespace(!was_inside));
    const CallOutcome second = run_call(as_impl(e.image->getrandom()), first.state, 40, 0);
    REQUIRE_FALSE(page.set_time_namespace(was_inside));
    CHECK(compare_outcomes(live_first, first).empty());
    CHECK(compare_outcomes(live_second, second).empty());
  }
}
