// Generation changes: between calls (reseed with a new key) and during a call
// (start over once, then fall back to the syscall).
//
// The kernel's generation cannot be moved on demand, so these run on the
// image's emulated data page and compare with the reference model, which
// test_model_vs_kernel.cpp and test_paths.cpp check against the kernel.  To
// change the generation at a precise moment *inside* the image, the output
// buffer is laid across a PROT_NONE page: the image's first write there
// faults, and the SIGSEGV handler moves the generation (or wipes the state)
// and opens the page, after which the instruction is retried.
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_set>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "getrandom_interceptor.h"
#include "model_checked.h"
#include "reference_model.h"
#include "targets.h"
#include "test_seed.h"
#include "trapped_run.h"

using namespace conformance;

namespace {

constexpr size_t kPage = 4096;

StateBytes state_with(uint64_t generation, uint64_t seed, uint8_t pos) {
  return scripted_state(generation, pos, seed ^ 0x5151, 4242);
}

// What the SIGSEGV handler does at each fault.
enum class OnFault { set_generation, wipe_state };

struct FaultPlan {
  uint8_t* pages = nullptr;  // two pages: the buffer starts in the first
  int faults_wanted = 0;     // 1: change once; 2: change again during the retry
  int faults_seen = 0;
  OnFault action = OnFault::set_generation;
  uint64_t generations[2] = {};
  uint8_t* state = nullptr;
};
FaultPlan g_plan;

void on_segv(int, siginfo_t* info, void*) {
  auto* addr = static_cast<uint8_t*>(info->si_addr);
  uint8_t* first = g_plan.pages;
  uint8_t* second = g_plan.pages + kPage;
  const bool in_first = addr >= first && addr < second;
  const bool in_second = addr >= second && addr < second + kPage;
  const int n = g_plan.faults_seen;
  if ((n == 0 && in_second) || (n == 1 && in_first && g_plan.faults_wanted == 2)) {
    if (g_plan.action == OnFault::set_generation)
      targets().page->set_generation(g_plan.generations[n]);
    else
      std::memset(g_plan.state, 0, kStateBytes);
    mprotect(in_second ? second : first, kPage, PROT_READ | PROT_WRITE);
    // Close the first page so the retry's first write faults as well.
    if (n == 0 && g_plan.faults_wanted == 2) mprotect(first, kPage, PROT_NONE);
    ++g_plan.faults_seen;
    return;
  }
  signal(SIGSEGV, SIG_DFL);  // not ours: let the retried access kill the child
}

struct MidCallOutcome {
  long ret;
  std::vector<uint8_t> output;
  StateBytes state;
  size_t syscalls;
  TrappedCall log[2];
  int faults;
};

constexpr size_t kMidLen = 300;
// 96 bytes in the first page, 204 in the second.  The page boundary must not
// split a store (a split store faults with both pages' effects in one go):
// the image stores 8 bytes at a time from the buffer's start while serving the
// batch and 16 at a time from the first block, so the boundary sits at a
// multiple of 16 from the start and every start pos used leaves a multiple of
// 16 bytes in the batch.  (16-byte stores are the SSE2 routine's; tests.cmake
// pins this program to it.  The wide routines store whole 64-byte blocks and
// the AVX2 one also parks a word in its destination, which this trap cannot
// slice; the retry logic under test is the same for every routine.)
constexpr size_t kMidOffset = kPage - 96;

MidCallOutcome image_mid_call(const StateBytes& start, unsigned flags, FaultPlan plan,
                              const TrapScript& script) {
  auto* pages = static_cast<uint8_t*>(
      mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  StateSlot slot;
  std::memcpy(slot.bytes, start.data(), kStateBytes);
  plan.pages = pages;
  plan.state = slot.bytes;
  g_plan = plan;
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &action, nullptr);
  mprotect(pages + kPage, kPage, PROT_NONE);
  rewind_trap(script);
  MidCallOutcome o;
  o.ret = targets().image_getrandom(pages + kMidOffset, kMidLen, flags, slot.bytes, kStateBytes);
  o.syscalls = trapped_call_count();
  o.log[0] = trapped_call(0);
  o.log[1] = trapped_call(1);
  mprotect(pages, 2 * kPage, PROT_READ | PROT_WRITE);
  o.output.assign(pages + kMidOffset, pages + kMidOffset + kMidLen);
  std::memcpy(o.state.data(), slot.bytes, kStateBytes);
  o.faults = g_plan.faults_seen;
  signal(SIGSEGV, SIG_DFL);
  munmap(pages, 2 * kPage);
  return o;
}

MidCallOutcome model_mid_call(const StateBytes& start, uint64_t page_generation, unsigned flags,
                              const FaultPlan& plan, const TrapScript& script) {
  VdsoRngData page{page_generation, 1};
  StateSlot slot;
  std::memcpy(slot.bytes, start.data(), kStateBytes);
  ModelHooks hooks;
  int changes = 0;
  hooks.before_recheck = [&](int pass) {
    if (pass >= plan.faults_wanted) return;
    if (plan.action == OnFault::set_generation)
      page.generation = plan.generations[pass];
    else
      std::memset(slot.bytes, 0, kStateBytes);
    ++changes;
  };
  rewind_trap(script);
  MidCallOutcome o;
  o.output.assign(kMidLen, 0);
  o.ret =
      reference_vgetrandom(page, o.output.data(), kMidLen, flags, slot.bytes, kStateBytes, hooks);
  o.syscalls = trapped_call_count();
  o.log[0] = trapped_call(0);
  o.log[1] = trapped_call(1);
  std::memcpy(o.state.data(), slot.bytes, kStateBytes);
  o.faults = changes;
  return o;
}

std::string compare_mid(const MidCallOutcome& model, const MidCallOutcome& image) {
  if (model.ret != image.ret) return "return value differs";
  if (model.faults != image.faults) return "the generation changed a different number of times";
  if (model.output != image.output) {
    size_t i = 0;
    while (model.output[i] == image.output[i]) ++i;
    return "output differs from byte " + std::to_string(i) + " (syscalls: model " +
           std::to_string(model.syscalls) + ", image " + std::to_string(image.syscalls) + ")";
  }
  if (model.state != image.state) return "final state differs";
  if (model.syscalls != image.syscalls) return "number of syscalls differs";
  for (size_t i = 0; i < std::min<size_t>(model.syscalls, 2); ++i)
    if (model.log[i].len != image.log[i].len || model.log[i].flags != image.log[i].flags)
      return "syscall arguments differ";
  return {};
}

}  // namespace

TEST_CASE("generation bumped between calls: new key from the kernel, generation follows") {
  Targets& t = targets();
  const uint64_t seed = test_seed("generation-bump");
  require_model_matches_kernel(seed);
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    VdsoRngData model_page{0, 1};
    GetrandomImpl model = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
      return reference_vgetrandom(model_page, b, l, f, s, o);
    };
    for (uint64_t round = 0; round < 200; ++round) {
      const uint64_t old_generation = 1000 + round * 7;
      const StateBytes start =
          state_with(old_generation, seed + round, static_cast<uint8_t>(round % 97));
      const size_t len = 1 + (round * 37) % 500;
      // What the old key would have given, had the generation not moved.
      t.page->set_generation(old_generation);
      model_page.generation = old_generation;
      const TrappedOutcome stale = run_trapped(model, start, len, 0, {seed + round});
      // The bump.
      const uint64_t new_generation = t.page->bump_generation();
      model_page.generation = new_generation;
      const TrappedOutcome image =
          run_trapped(as_impl(t.image_getrandom), start, len, 0, {seed + round});
      const TrappedOutcome expected = run_trapped(model, start, len, 0, {seed + round});
      const std::string tag = "round " + std::to_string(round) + ": ";
      r.check(new_generation != old_generation && new_generation != 0, tag + "bump did not move");
      r.check(compare_trapped(expected, image).empty(), tag + compare_trapped(expected, image));
      r.check(image.syscalls == 1 && image.log[0].len == 32 && image.log[0].flags == 0,
              tag + "no 32-byte flags-0 key fetch");
      r.check(state_generation(image.call.state) == new_generation, tag + "generation not updated");
      r.check(stale.syscalls == 0, tag + "model reseeded without a bump");
      r.check(std::memcmp(stale.call.output.data(), image.call.output.data(), len) != 0,
              tag + "output still what the old key predicts");
      ++r.counts[0];
    }
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  std::printf(
      "[conformance] generation-bump: %ld bumps, each reseeded with the scripted key and "
      "matched the model; none matched the old key\n",
      report.counts[0]);
}

TEST_CASE("generation changed during a call: one retry, then the syscall") {
  const uint64_t seed = test_seed("generation-mid-call");
  require_model_matches_kernel(seed);
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    for (uint64_t round = 0; round < 40; ++round) {
      const uint64_t g = 5000 + round;
      // pos 96 (empty batch) for the wipe case: see docs/conformance.md.
      const uint8_t pos = static_cast<uint8_t>(16 * (round % 7));
      const StateBytes start = state_with(g, seed + round, pos);
      const unsigned flags = round % 2 ? 1u : 0u;
      const TrapScript script{seed + round};
      for (const auto& [label, wanted, action] :
           {std::tuple{"changed once", 1, OnFault::set_generation},
            std::tuple{"changed twice", 2, OnFault::set_generation},
            std::tuple{"state wiped", 1, OnFault::wipe_state}}) {
        if (action == OnFault::wipe_state && pos != 96) continue;
        FaultPlan plan;
        plan.faults_wanted = wanted;
        plan.action = action;
        plan.generations[0] = g + 100;
        plan.generations[1] = g + 200;
        targets().page->set_generation(g);
        const MidCallOutcome image = image_mid_call(start, flags, plan, script);
        const MidCallOutcome model = model_mid_call(start, g, flags, plan, script);
        const std::string tag = "round " + std::to_string(round) + " (" + label + "): ";
        r.check(image.faults == wanted, tag + "the image did not write where expected");
        r.check(compare_mid(model, image).empty(), tag + compare_mid(model, image));
        r.check(image.ret == static_cast<long>(kMidLen), tag + "wrong return value");
        r.check(!state_in_use(image.state), tag + "in_use left set");
        if (wanted == 1) {
          // Started over once with a fresh key: one key fetch, generation current.
          r.check(image.syscalls == 1 && image.log[0].len == 32, tag + "no single reseed");
          r.check(state_generation(image.state) == (action == OnFault::wipe_state ? g : g + 100),
                  tag + "generation after the retry");
          ++r.counts[action == OnFault::wipe_state ? 2 : 0];
        } else {
          // Second change: the whole request came from the syscall.
          r.check(image.syscalls == 2 && image.log[1].len == kMidLen && image.log[1].flags == flags,
                  tag + "no fallback syscall with the caller's arguments");
          std::vector<uint8_t> syscall_bytes(kMidLen);
          scripted_bytes(script.seed, 1, syscall_bytes.data(), kMidLen);
          r.check(image.output == syscall_bytes, tag + "output is not the syscall's bytes");
          ++r.counts[1];
        }
      }
    }
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  CHECK(report.counts[0] == 40);
  CHECK(report.counts[1] == 40);
  CHECK(report.counts[2] > 0);
  std::printf(
      "[conformance] generation-mid-call: %ld single changes (retried), %ld double changes "
      "(syscall), %ld wipes mid-call (reseeded), all equal to the model\n",
      report.counts[0], report.counts[1], report.counts[2]);
}

TEST_CASE("generation changing from another thread: every call still correct and unique") {
  Targets& t = targets();
  StateSlot slot;
  t.page->set_generation(1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bumps{0};
  std::thread bumper([&] {
    while (!stop.load()) {
      t.page->bump_generation();
      bumps.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  std::unordered_set<std::string> blocks;
  size_t calls = 0, reseeds_seen = 0, duplicates = 0, bad_returns = 0, bad_states = 0;
  uint64_t last_generation = 0;
  for (size_t i = 0; i < 4000; ++i) {
    const size_t len = 16 * (1 + i % 300);
    std::vector<uint8_t> out(len);
    const long ret = t.image_getrandom(out.data(), len, 0, slot.bytes, kStateBytes);
    if (ret != static_cast<long>(len)) ++bad_returns;
    StateBytes after;
    std::memcpy(after.data(), slot.bytes, kStateBytes);
    if (state_in_use(after) || state_pos(after) > 96) ++bad_states;
    if (state_generation(after) != last_generation) ++reseeds_seen;
    last_generation = state_generation(after);
    for (size_t off = 0; off < len; off += 16)
      if (!blocks.emplace(reinterpret_cast<const char*>(out.data() + off), 16).second) ++duplicates;
    ++calls;
  }
  stop = true;
  bumper.join();
  CHECK(bad_returns == 0);
  CHECK(bad_states == 0);
  CHECK(duplicates == 0);
  CHECK(reseeds_seen > 10);
  std::printf(
      "[conformance] generation-race: %zu calls while another thread bumped %llu times, "
      "%zu reseeds seen, %zu 16-byte blocks all distinct\n",
      calls, static_cast<unsigned long long>(bumps.load()), reseeds_seen, blocks.size());
}
