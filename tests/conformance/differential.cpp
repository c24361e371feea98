#include "differential.h"

#include <algorithm>
#include <array>
#include <random>
#include <sstream>

namespace conformance {
namespace {

constexpr size_t kBatch = 96;
constexpr size_t kLargeThreshold = 64 * 1024;
constexpr std::array<unsigned, 5> kFlagChoices = {0, 1 /*NONBLOCK*/, 4 /*INSECURE*/, 2 /*RANDOM*/,
                                                  5 /*NONBLOCK|INSECURE*/};

struct Request {
  size_t len;
  unsigned flags;
  const char* origin;
};

}  // namespace

size_t draw_request_length(uint64_t random, uint64_t random2, size_t pos, size_t largest) {
  // Weighted toward the small requests real programs make; each bucket aims at
  // one branch: batch only, batch + refill, direct blocks, batch boundary.
  const uint64_t bucket = random % 1000;
  const uint64_t r = random2;
  if (bucket < 30) return 0;
  if (bucket < 300) return 1 + r % 7;     // 1..7
  if (bucket < 380) return 56 + r % 17;   // around 64
  if (bucket < 460) return 88 + r % 17;   // around 96
  if (bucket < 540) return 120 + r % 17;  // around 128
  if (bucket < 640) {                     // straddle the batch end
    const size_t left = kBatch - std::min(pos, kBatch);
    const size_t delta = r % 5;  // left-2 .. left+2
    return left + delta >= 2 ? left + delta - 2 : 1;
  }
  if (bucket < 760) {  // k*64 - 1, k*64, k*64 + 1
    const size_t k = 1 + (r >> 2) % 48;
    return k * 64 + (r % 3) - 1;
  }
  if (bucket < 940) return 8 + r % 1024;
  if (bucket < 998) return 1025 + r % (kLargeThreshold - 1024);
  return kLargeThreshold + r % (largest - kLargeThreshold + 1);  // rare: up to `largest`
}

DifferentialResult run_differential(const DifferentialConfig& config) {
  DifferentialResult result;
  std::mt19937_64 rng(config.seed);
  StateBytes state{};
  uint64_t generation = 0;

  auto seed_fresh_state = [&]() -> bool {
    StateBytes zero{};
    const size_t len = 1 + rng() % 200;
    CallOutcome seeded = run_call(config.reference, zero, len, 0);
    if (seeded.ret != static_cast<long>(len) || state_generation(seeded.state) == 0) {
      result.error =
          "the reference did not seed a fresh state (returned " + std::to_string(seeded.ret) + ")";
      return false;
    }
    state = seeded.state;
    generation = state_generation(state);
    config.set_candidate_generation(generation);
    ++result.fresh_states;
    return true;
  };

  // Returns false when the run must stop (mismatch or harness error).
  auto compare_one = [&](const Request& request, size_t index) -> bool {
    CallOutcome expected = run_call(config.reference, state, request.len, request.flags);
    if (state_generation(expected.state) != generation) {
      // The kernel reseeded (or the reference fell back): the candidate's page
      // still has the old generation, so this request says nothing.  Follow.
      ++result.kernel_reseeds;
      if (state_generation(expected.state) == 0) return seed_fresh_state();
      state = expected.state;
      generation = state_generation(state);
      config.set_candidate_generation(generation);
      return true;
    }
    CallOutcome actual = run_call(config.candidate, state, request.len, request.flags);
    if (std::string why = compare_outcomes(expected, actual); !why.empty()) {
      std::ostringstream where;
      where << why << " [request #" << index << " (" << request.origin << "): len " << request.len
            << ", flags " << request.flags << ", starting pos " << int(state_pos(state))
            << ", seed 0x" << std::hex << config.seed << "]";
      result.mismatch = where.str();
      return false;
    }
    ++result.compared;
    ++result.flags_seen[request.flags & 7];
    result.bytes += request.len;
    if (request.len > kLargeThreshold) ++result.large_requests;
    state = expected.state;
    return true;
  };

  if (!seed_fresh_state()) return result;
  size_t index = 0;

  if (config.pos_sweep) {
    // Every starting pos against lengths that end just before, at and after
    // the batch end, and that continue into direct blocks.
    for (size_t pos = 0; pos <= kBatch; ++pos) {
      for (const long delta : {-1L, 0L, 1L, 63L, 64L, 65L, 160L}) {
        const long len = static_cast<long>(kBatch - pos) + delta;
        if (len < 0) continue;
        state[136] = static_cast<uint8_t>(pos);
        const Request request{static_cast<size_t>(len), kFlagChoices[index % kFlagChoices.size()],
                              "pos sweep"};
        if (!compare_one(request, index++)) return result;
        ++result.sweep_requests;
      }
    }
  }

  // Sizes every run must see at least once, largest included.
  for (const size_t len : {config.largest, config.largest - 1, size_t{65536}, size_t{65535},
                           size_t{65537}, size_t{4096}}) {
    if (!compare_one({len, 0, "fixed size"}, index++)) return result;
  }

  for (size_t i = 0; i < config.random_requests; ++i) {
    if (rng() % 97 == 0 && !seed_fresh_state()) return result;
    const uint64_t r1 = rng(), r2 = rng();
    const Request request{draw_request_length(r1, r2, state_pos(state), config.largest),
                          kFlagChoices[rng() % kFlagChoices.size()], "random"};
    if (!compare_one(request, index++)) return result;
  }
  return result;
}

}  // namespace conformance
