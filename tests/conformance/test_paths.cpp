// Every branch of docs/abi.md's algorithm, against the kernel's vDSO wherever the kernel can
// be driven and against the (kernel-checked) reference model elsewhere.
//
// Syscalls are observed with seccomp in forked children: the trap variant
// plays getrandom with scripted bytes and logs each call, so kernel, model
// and image can be compared including the syscalls they make; the errno
// variant makes getrandom fail with a marker errno, as a second, independent
// witness.
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "getrandom_interceptor.h"
#include "reference_model.h"
#include "targets.h"
#include "test_seed.h"
#include "trapped_run.h"

using namespace conformance;

namespace {

constexpr int kMarker = 77;

struct PathCase {
  const char* name;
  std::function<StateBytes(uint64_t kernel_generation)> start;
  size_t len;
  unsigned flags;
  Placement placement{};
  long fail_len = -1;
  size_t pretend_len = 0;  // if set, the implementation is told this length instead
  // The facts, checked on top of agreement between the implementations.
  long expect_ret;
  size_t expect_syscalls;
  bool expect_untouched;
};

StateBytes zero_state(uint64_t) { return {}; }

struct Sides {
  GetrandomImpl kernel, image, model;
  VdsoRngData* model_page;
};

// Re-reads the kernel's generation (a state seeded under the trap carries it)
// and gives it to the image's and the model's data pages.
uint64_t sync_generation(Sides& sides, uint64_t seed) {
  // A script without failures: a failed reseed would report generation 0.
  const TrappedOutcome seeded = run_trapped(sides.kernel, {}, 1, 0, TrapScript{seed});
  const uint64_t generation = state_generation(seeded.call.state);
  targets().page->set_generation(generation);
  sides.model_page->generation = generation;
  return generation;
}

std::string describe(const PathCase& c) { return std::string("[") + c.name + "] "; }

void run_case(const PathCase& c, Sides& sides, uint64_t seed, bool kernel_drivable,
              ChildReport& report) {
  const TrapScript script{seed, c.fail_len, 5};
  for (int attempt = 0; attempt < 3; ++attempt) {
    const uint64_t generation = sync_generation(sides, seed);
    if (generation == 0) {
      report.fail(describe(c) + "could not read the kernel's generation");
      return;
    }
    const StateBytes start = c.start(generation);
    auto told = [&](const GetrandomImpl& impl) -> GetrandomImpl {
      if (!c.pretend_len) return impl;
      return [&impl, &c](void* b, size_t, unsigned f, void* s, size_t o) {
        return impl(b, c.pretend_len, f, s, o);
      };
    };
    const TrappedOutcome model =
        run_trapped(told(sides.model), start, c.len, c.flags, script, c.placement);
    const TrappedOutcome image =
        run_trapped(told(sides.image), start, c.len, c.flags, script, c.placement);
    std::string kernel_says;
    if (kernel_drivable) {
      const TrappedOutcome kernel =
          run_trapped(told(sides.kernel), start, c.len, c.flags, script, c.placement);
      if (sync_generation(sides, seed) != generation) continue;  // the kernel reseeded: redo
      kernel_says = compare_trapped(kernel, model);
      if (!kernel_says.empty()) {
        report.fail(describe(c) + "model differs from the kernel: " + kernel_says);
        return;
      }
      report.check(
          compare_trapped(kernel, image).empty(),
          describe(c) + "image differs from the kernel: " + compare_trapped(kernel, image));
      ++report.counts[0];
    } else {
      report.check(compare_trapped(model, image).empty(),
                   describe(c) + "image differs from the model: " + compare_trapped(model, image));
      ++report.counts[1];
    }
    // The facts themselves, so an error shared by all sides is caught too.
    report.check(image.call.ret == c.expect_ret, describe(c) + "returned " +
                                                     std::to_string(image.call.ret) +
                                                     ", expected " + std::to_string(c.expect_ret));
    report.check(image.syscalls == c.expect_syscalls, describe(c) + std::to_string(image.syscalls) +
                                                          " syscalls, expected " +
                                                          std::to_string(c.expect_syscalls));
    if (c.expect_untouched)
      report.check(image.call.state == start, describe(c) + "the state was modified");
    report.check(!state_in_use(image.call.state) || state_in_use(start),
                 describe(c) + "in_use left set");
    return;
  }
  report.fail(describe(c) + "the kernel's generation kept moving; could not compare");
}

StateBytes seeded_with(uint64_t generation, uint64_t seed, uint8_t pos = 40) {
  // Any bytes serve as batch and key; what matters is the generation.
  return scripted_state(generation, pos, seed ^ 0xabcdef, 999);
}

}  // namespace

TEST_CASE("every path agrees with the kernel vDSO, syscalls included (seccomp trap)") {
  Targets& t = targets();
  const uint64_t seed = test_seed("paths");
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) {
      r.fail(e);
      return false;
    }
    VdsoRngData model_page{0, 1};
    Sides sides{as_impl(t.kernel_getrandom), as_impl(t.image_getrandom),
                [&](void* b, size_t l, unsigned f, void* s, size_t o) {
                  return reference_vgetrandom(model_page, b, l, f, s, o);
                },
                &model_page};
    auto seeded = [seed](uint8_t pos) {
      return [seed, pos](uint64_t g) { return seeded_with(g, seed, pos); };
    };
    auto stale = [seed](uint64_t g) { return seeded_with(g + 1, seed); };
    auto busy = [seed](uint64_t g) {
      StateBytes s = seeded_with(g, seed);
      s[137] = 1;
      return s;
    };
    const std::vector<PathCase> cases = {
        {"fresh state reseeds with one 32-byte syscall",
         zero_state,
         40,
         0,
         {},
         -1,
         0,
         40,
         1,
         false},
        {"fresh state, 200 bytes, GRND_INSECURE", zero_state, 200, 4, {}, -1, 0, 200, 1, false},
        {"stale generation reseeds", stale, 10, 0, {}, -1, 0, 10, 1, false},
        {"reseed syscall fails -> generation 0, fallback",
         zero_state,
         40,
         1,
         {},
         32,
         0,
         40,
         2,
         false},
        {"reseed fails, fallback of 32 fails too", zero_state, 32, 0, {}, 32, 0, -5, 2, false},
        {"current generation: no syscall", seeded(40), 300, 0, {}, -1, 0, 300, 0, false},
        {"unknown flag 0x8 -> syscall, untouched", seeded(40), 20, 8, {}, -1, 0, 20, 1, true},
        {"unknown flag 0x10 -> syscall, untouched", seeded(40), 20, 0x10, {}, -1, 0, 20, 1, true},
        {"unknown flag 0x80000000 -> syscall", seeded(40), 20, 0x80000000u, {}, -1, 0, 20, 1, true},
        {"known and unknown flags -> syscall", seeded(40), 20, 0x9, {}, -1, 0, 20, 1, true},
        {"unknown flag, len 0 -> syscall", seeded(40), 0, 8, {}, -1, 0, 0, 1, true},
        {"unknown flag, uncapped length reaches the syscall",
         seeded(40),
         16,
         8,
         {},
         -1,
         0x80000000UL,
         -EFAULT,
         1,
         true},
        {"opaque_len 143 -> syscall, untouched", seeded(40), 20, 0, {143, 256}, -1, 0, 20, 1, true},
        {"opaque_len 145 -> syscall, untouched", seeded(40), 20, 0, {145, 256}, -1, 0, 20, 1, true},
        {"opaque_len 0 -> syscall, untouched", seeded(40), 20, 0, {0, 256}, -1, 0, 20, 1, true},
        {"in_use set -> syscall, untouched", busy, 20, 0, {}, -1, 0, 20, 1, true},
        {"in_use set, len 0 -> 0", busy, 0, 0, {}, -1, 0, 0, 0, true},
        {"len 0, ready -> 0, no syscall, untouched", seeded(40), 0, 0, {}, -1, 0, 0, 0, true},
        {"len 0, fresh state -> 0, no syscall", zero_state, 0, 0, {}, -1, 0, 0, 0, true},
        {"state straddles a page -> -EFAULT",
         seeded(40),
         20,
         0,
         {144, 4096 - 143},
         -1,
         0,
         -EFAULT,
         0,
         true},
        {"straddle beats unknown flags", seeded(40), 20, 8, {144, 4095}, -1, 0, -EFAULT, 0, true},
        {"state ends exactly at the page end",
         seeded(40),
         20,
         0,
         {144, 4096 - 144},
         -1,
         0,
         20,
         0,
         false},
    };
    for (const PathCase& c : cases) run_case(c, sides, seed, true, r);

    // The kernel's own is_ready cannot be cleared; the model (checked above)
    // is the reference here.
    t.page->set_ready(false);
    model_page.is_ready = 0;
    const std::vector<PathCase> not_ready = {
        {"is_ready 0, len 0 -> syscall", seeded(40), 0, 0, {}, -1, 0, 0, 1, true},
        {"is_ready 0, len 30 -> syscall, untouched", seeded(40), 30, 4, {}, -1, 0, 30, 1, true},
        {"is_ready 0, fresh state -> syscall, no reseed",
         zero_state,
         30,
         0,
         {},
         -1,
         0,
         30,
         1,
         true},
    };
    for (const PathCase& c : not_ready) run_case(c, sides, seed, false, r);
    t.page->set_ready(true);
    return !r.failed();
  });
  // The data page is shared memory, so the child's writes reach this process
  // too: make sure a failed child did not leave the RNG "not ready".
  t.page->set_ready(true);
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  CHECK(report.counts[0] == 22);
  CHECK(report.counts[1] == 3);
  std::printf(
      "[conformance] paths: %ld cases equal in kernel, model and image (syscalls "
      "included), %ld cases equal in model and image (is_ready 0)\n",
      report.counts[0], report.counts[1]);
}

namespace {

struct MarkerOutcome {
  long ret;
  StateBytes state;
};

MarkerOutcome call_with_marker(vdsoforge::GetrandomFn fn, const StateBytes& start, size_t len,
                               unsigned flags) {
  const CallOutcome o = run_call(as_impl(fn), start, len, flags);
  return {o.ret, o.state};
}

}  // namespace

TEST_CASE("a marker errno proves which calls reach the getrandom syscall") {
  Targets& t = targets();
  const StateBytes seeded = kernel_seeded_state();
  ChildReport report;
  const ChildStatus all = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_errno_filter(kMarker); !e.empty()) {
      r.fail(e);
      return false;
    }
    t.page->set_generation(state_generation(seeded));
    for (auto [name, fn] :
         {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
      const std::string who = std::string(name) + ": ";
      MarkerOutcome o = call_with_marker(fn, seeded, 0, 0);
      r.check(o.ret == 0 && o.state == seeded, who + "len 0 with the RNG ready made a syscall");
      o = call_with_marker(fn, seeded, 24, 0);
      r.check(o.ret == 24, who + "a served request made a syscall");
      o = call_with_marker(fn, seeded, 24, 0x8);
      r.check(o.ret == -kMarker && o.state == seeded,
              who + "unknown flag did not go to the syscall");
      o = call_with_marker(fn, {}, 40, 0);
      r.check(o.ret == -kMarker, who + "failed reseed did not fall back to the syscall");
      r.check(state_generation(o.state) == 0 && !state_in_use(o.state),
              who + "failed reseed left generation/in_use set");
      r.counts[0] += 4;
    }
    t.page->set_ready(false);
    MarkerOutcome o = call_with_marker(t.image_getrandom, seeded, 0, 0);
    r.check(o.ret == -kMarker && o.state == seeded, "image: is_ready 0, len 0 made no syscall");
    t.page->set_ready(true);
    ++r.counts[0];
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(all.ok);
  REQUIRE_FALSE(report.failed());

  ChildReport only32;
  const ChildStatus filtered = run_in_child(only32, [&](ChildReport& r) {
    // Only the 32-byte reseed fails; the 40-byte fallback reaches the kernel.
    if (std::string e = install_getrandom_errno_filter(kMarker, 32); !e.empty()) {
      r.fail(e);
      return false;
    }
    t.page->set_generation(state_generation(seeded));
    for (auto [name, fn] :
         {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
      const std::string who = std::string(name) + ": ";
      const CallOutcome o = run_call(as_impl(fn), {}, 40, 0);
      r.check(o.ret == 40, who + "fallback after the failed reseed did not serve 40 bytes, got " +
                               std::to_string(o.ret));
      r.check(state_generation(o.state) == 0, who + "generation not reset to 0");
      r.check(!state_in_use(o.state), who + "in_use left set");
      bool any_nonzero = false;
      for (size_t i = 0; i < 40; ++i) any_nonzero |= o.output[i] != kSentinel;
      r.check(any_nonzero && o.output[40] == kSentinel, who + "fallback did not fill the buffer");
      r.counts[0] += 4;
    }
    return !r.failed();
  });
  INFO(only32.failure);
  REQUIRE(filtered.ok);
  REQUIRE_FALSE(only32.failed());

  // Unfiltered: the kernel itself rejects the unknown flag.
  for (auto fn : {t.kernel_getrandom, t.image_getrandom}) {
    const CallOutcome o = run_call(as_impl(fn), seeded, 16, 0x8);
    CHECK(o.ret == -EINVAL);
    CHECK(o.state == seeded);
  }
  std::printf(
      "[conformance] syscall-marker: %ld checks with errno %d, %ld with the 32-byte-only "
      "filter, -EINVAL for unknown flags on both\n",
      report.counts[0], kMarker, only32.counts[0]);
}
