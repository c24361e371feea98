// Forward secrecy: a served byte exists only in the caller's buffer, and the
// key that produced a refill is gone once the refill is done.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "differential.h"
#include "targets.h"
#include "test_seed.h"

using namespace conformance;

namespace {

struct SecrecyCounts {
  size_t calls = 0, refills = 0, batch_only = 0;
  std::string failure;
};

bool contains_window(const uint8_t* hay, size_t hay_len, const uint8_t* needle, size_t needle_len) {
  for (size_t n = 0; n + 8 <= needle_len; ++n)
    for (size_t h = 0; h + 8 <= hay_len; ++h)
      if (std::memcmp(hay + h, needle + n, 8) == 0) return true;
  return false;
}

SecrecyCounts check_secrecy(vdsoforge::GetrandomFn fn, uint64_t seed, bool is_kernel) {
  SecrecyCounts counts;
  std::mt19937_64 rng(seed);
  StateBytes state = kernel_seeded_state();
  targets().page->set_generation(state_generation(state));
  for (size_t i = 0; i < 6000; ++i) {
    const uint64_t r1 = rng(), r2 = rng();
    const size_t len = draw_request_length(r1, r2, state_pos(state), 1 << 16);
    const CallOutcome o = run_call(as_impl(fn), state, len, 0);
    const std::string tag = "call " + std::to_string(i) + " (len " + std::to_string(len) + "): ";
    if (o.ret != static_cast<long>(len)) {
      counts.failure = tag + "returned " + std::to_string(o.ret);
      return counts;
    }
    if (state_generation(o.state) != state_generation(state)) {
      // The kernel reseeded on its own; nothing to learn from this call.
      if (!is_kernel) counts.failure = tag + "the image reseeded without a generation change";
      state = o.state;
      if (!counts.failure.empty()) return counts;
      continue;
    }
    const size_t pos_before = state_pos(state), pos_after = state_pos(o.state);
    // Everything below pos has been handed out and must read as zero.
    for (size_t b = 0; b < pos_after; ++b) {
      if (o.state[b] != 0) {
        counts.failure = tag + "served batch byte " + std::to_string(b) + " not zeroed";
        return counts;
      }
    }
    const bool key_changed = std::memcmp(o.state.data() + 96, state.data() + 96, 32) != 0;
    const bool needed_refill = len > 96 - pos_before;
    if (needed_refill != key_changed) {
      counts.failure =
          tag + (needed_refill ? "key unchanged after a refill" : "key changed without a refill");
      return counts;
    }
    // Fast key erasure: the new key is never part of what was handed out.
    if (len && len <= 4096 && contains_window(o.output.data(), len, o.state.data() + 96, 32)) {
      counts.failure = tag + "the new key appears in the output";
      return counts;
    }
    ++counts.calls;
    ++(needed_refill ? counts.refills : counts.batch_only);
    state = o.state;
  }
  return counts;
}

}  // namespace

TEST_CASE("forward secrecy: served batch bytes are zero, every refill replaces the key") {
  Targets& t = targets();
  const uint64_t seed = test_seed("forward-secrecy");
  for (auto [name, fn, is_kernel] : {std::tuple{"kernel", t.kernel_getrandom, true},
                                     std::tuple{"image", t.image_getrandom, false}}) {
    const SecrecyCounts counts = check_secrecy(fn, seed, is_kernel);
    INFO(name << ": " << counts.failure);
    CHECK(counts.failure.empty());
    CHECK(counts.refills > 100);
    CHECK(counts.batch_only > 100);
    std::printf(
        "[conformance] forward-secrecy (%s): %zu calls, %zu refills changed the key, %zu "
        "batch-only calls kept it, all served bytes zeroed\n",
        name, counts.calls, counts.refills, counts.batch_only);
  }
}
