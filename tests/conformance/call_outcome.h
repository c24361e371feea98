// One getrandom call on a copy of a state, and what it left behind: the unit
// the byte-identical comparisons work on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace conformance {

inline constexpr size_t kStateBytes = 144;
using StateBytes = std::array<uint8_t, kStateBytes>;

// Any getrandom with the vDSO signature: kernel vDSO, loaded image, model.
using GetrandomImpl = std::function<long(void*, size_t, unsigned, void*, size_t)>;

// A state slot that never straddles a page (256 divides 4096).
struct alignas(256) StateSlot {
  uint8_t bytes[kStateBytes] = {};
};

uint64_t state_generation(const StateBytes& state);
uint8_t state_pos(const StateBytes& state);
bool state_in_use(const StateBytes& state);
// A state whose batch and key are scripted bytes (scripted_bytes(seed,
// stream), getrandom_interceptor.h), with the given generation and pos and
// in_use clear: a start that needs no real key.
StateBytes scripted_state(uint64_t generation, uint8_t pos, uint64_t seed, uint64_t stream);

// The buffer is filled with kSentinel first and is one byte longer than the
// request, so writes past the end are visible.
inline constexpr uint8_t kSentinel = 0xa5;

struct CallOutcome {
  long ret = 0;
  std::vector<uint8_t> output;  // len + 1 bytes
  StateBytes state{};
};

CallOutcome run_call(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                     unsigned flags);
// The same with the state copied to `state_location` (which may straddle a
// page on purpose) and an explicit opaque_len.
CallOutcome run_call_placed(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                            unsigned flags, size_t opaque_len, uint8_t* state_location);

// Empty when both calls returned the same, wrote the same bytes, left the
// guard byte alone and ended in the same state; otherwise the first
// difference in words.
std::string compare_outcomes(const CallOutcome& expected, const CallOutcome& actual);

}  // namespace conformance
