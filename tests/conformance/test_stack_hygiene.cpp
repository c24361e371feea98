// Secrets stay off the stack: the whole getrandom call runs on a stack of our
// own, painted with a pattern first; afterwards no 8-byte window of the key
// (before or after), of the refilled batch or of the output may be found in
// anything the call wrote there.
//
// (The ChaCha20 routine itself is proven stackless by disassembly in
// loader/analysis/stack_analysis; this checks the call as a whole, kernel and image.)
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "getrandom_interceptor.h"
#include "targets.h"
#include "test_seed.h"

using namespace conformance;

namespace {

constexpr size_t kStackSize = 64 * 1024;
constexpr uint8_t kPaint = 0x5a;

// Calls fn with its stack pointer at `stack_top` (16-byte aligned), so every
// byte it pushes, spills or leaves behind lands in our painted region.
[[gnu::noinline]] long call_on_stack(vdsoforge::GetrandomFn fn, void* buffer, size_t len,
                                     unsigned flags, void* state, size_t opaque_len,
                                     uint8_t* stack_top) {
  long ret;
  register void* state_reg asm("rcx") = state;
  register size_t opaque_reg asm("r8") = opaque_len;
  asm volatile(
      "mov %%rsp, %%rbx\n\t"
      "mov %[top], %%rsp\n\t"
      "call *%[fn]\n\t"
      "mov %%rbx, %%rsp\n\t"
      : "=a"(ret), "+D"(buffer), "+S"(len), "+d"(flags), "+r"(state_reg), "+r"(opaque_reg)
      : [fn] "r"(fn), [top] "r"(stack_top)
      : "rbx", "r9", "r10", "r11", "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
        "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  return ret;
}

struct PaintedStack {
  uint8_t* base;
  PaintedStack() {
    base = static_cast<uint8_t*>(
        mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base == MAP_FAILED) throw std::runtime_error("mmap for the painted stack failed");
  }
  ~PaintedStack() { munmap(base, kStackSize); }
  void paint() { std::memset(base, kPaint, kStackSize); }
  uint8_t* top() { return base + kStackSize; }
  // How far down the call wrote (lowest byte that is no longer paint).
  size_t depth_used() const {
    for (size_t i = 0; i < kStackSize; ++i)
      if (base[i] != kPaint) return kStackSize - i;
    return 0;
  }
};

struct HygieneResult {
  long ret = 0;
  size_t depth = 0;
  std::string leak;  // empty if clean
};

// Every 8-byte window (at every byte offset) of what the call wrote.
std::unordered_set<uint64_t> written_windows(const PaintedStack& stack, size_t depth) {
  std::unordered_set<uint64_t> windows;
  const uint8_t* low = stack.base + kStackSize - depth;
  for (size_t i = 0; i + 8 <= depth; ++i) {
    uint64_t w;
    std::memcpy(&w, low + i, 8);
    windows.insert(w);
  }
  return windows;
}

std::string find_leak(const std::unordered_set<uint64_t>& windows, const char* what,
                      const uint8_t* secret, size_t len) {
  for (size_t i = 0; i + 8 <= len; ++i) {
    uint64_t w;
    std::memcpy(&w, secret + i, 8);
    // All-zero windows say nothing (a fresh state's key is zero, and so is
    // much of any stack frame).
    if (w == 0) continue;
    if (windows.count(w))
      return std::string(what) + " bytes " + std::to_string(i) + ".." + std::to_string(i + 8) +
             " found on the stack";
  }
  return {};
}

HygieneResult check_call(vdsoforge::GetrandomFn fn, const StateBytes& start, size_t len,
                         const uint8_t* reseed_key) {
  PaintedStack stack;
  stack.paint();
  StateSlot slot;
  std::memcpy(slot.bytes, start.data(), kStateBytes);
  std::vector<uint8_t> out(len);
  HygieneResult result;
  result.ret = call_on_stack(fn, out.data(), len, 0, slot.bytes, kStateBytes, stack.top());
  result.depth = stack.depth_used();
  const auto windows = written_windows(stack, result.depth);
  const uint8_t pos = slot.bytes[136];
  for (const std::string& leak :
       {find_leak(windows, "key before the call", start.data() + 96, 32),
        find_leak(windows, "key after the call", slot.bytes + 96, 32),
        find_leak(windows, "unserved batch", slot.bytes + pos, 96 - std::min<size_t>(pos, 96)),
        find_leak(windows, "batch before the call", start.data() + start[136],
                  96 - std::min<size_t>(start[136], 96)),
        find_leak(windows, "output", out.data(), len),
        reseed_key ? find_leak(windows, "key from the reseed syscall", reseed_key, 32)
                   : std::string{}}) {
    if (!leak.empty() && result.leak.empty()) result.leak = leak;
  }
  return result;
}

const size_t kLengths[] = {1, 7, 8, 50, 95, 96, 97, 128, 200, 1000, 4096, 65536 + 5};

}  // namespace

TEST_CASE("stack hygiene: no key, batch or output bytes left on the caller's stack") {
  Targets& t = targets();
  const StateBytes seeded = kernel_seeded_state(3);
  t.page->set_generation(state_generation(seeded));
  for (auto [name, fn] : {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
    size_t deepest = 0;
    StateBytes state = seeded;
    for (size_t len : kLengths) {
      const HygieneResult r = check_call(fn, state, len, nullptr);
      INFO(name << ", len " << len << ": " << r.leak);
      REQUIRE(r.ret == long(len));
      CHECK(r.depth >= 8);  // at least the return address: the call really used our stack
      CHECK(r.leak.empty());
      deepest = std::max(deepest, r.depth);
      // Carry on from a state the kernel produced, so pos varies.
      state = run_call(as_impl(t.kernel_getrandom), state, len, 0).state;
      if (state_generation(state) != state_generation(seeded)) state = seeded;
    }
    std::printf(
        "[conformance] stack-hygiene (%s): %zu lengths, at most %zu stack bytes written, "
        "no secret window among them\n",
        name, std::size(kLengths), deepest);
  }
}

TEST_CASE("stack hygiene on the reseed path (scripted key under a seccomp trap)") {
  Targets& t = targets();
  const uint64_t seed = test_seed("stack-hygiene-reseed");
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_trap({seed}); !e.empty()) return r.fail(e), false;
    uint8_t key[32];
    scripted_bytes(seed, 0, key, sizeof key);  // what the first trapped call hands out
    for (auto [name, fn] :
         {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
      for (size_t len : kLengths) {
        rewind_trap({seed});
        const HygieneResult h = check_call(fn, StateBytes{}, len, key);  // zero state: reseeds
        const std::string tag = std::string(name) + ", len " + std::to_string(len) + ": ";
        r.check(h.ret == long(len), tag + "returned " + std::to_string(h.ret));
        r.check(trapped_call_count() == 1 && trapped_call(0).len == 32, tag + "did not reseed");
        r.check(h.leak.empty(), tag + h.leak);
        ++r.counts[0];
      }
    }
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  std::printf(
      "[conformance] stack-hygiene (reseed): %ld calls from a zero state, the injected key "
      "never reached the stack\n",
      report.counts[0]);
}

namespace {

vdsoforge::GetrandomFn g_inner = nullptr;

// A getrandom that does leak: it keeps a copy of the key in its frame.
[[gnu::noinline]] long leaky_getrandom(void* buffer, size_t len, unsigned flags, void* state,
                                       size_t opaque_len) {
  volatile uint8_t copy[32];
  for (size_t i = 0; i < 32; ++i) copy[i] = static_cast<uint8_t*>(state)[96 + i];
  return g_inner(buffer, len, flags, state, opaque_len) + copy[0] * 0;
}

}  // namespace

TEST_CASE("stack hygiene scanner finds a key that was left on the stack") {
  // Without this the test above could pass by looking at the wrong memory.
  Targets& t = targets();
  const StateBytes seeded = kernel_seeded_state(3);
  t.page->set_generation(state_generation(seeded));
  g_inner = t.image_getrandom;
  const HygieneResult r = check_call(leaky_getrandom, seeded, 10, nullptr);
  CHECK(r.ret == 10);
  CHECK(r.leak.find("key before the call") != std::string::npos);
  std::printf("[conformance] stack-hygiene (self-check): a planted key copy was reported: %s\n",
              r.leak.c_str());
}
