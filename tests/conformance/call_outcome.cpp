#include "call_outcome.h"

#include <cstddef>
#include <cstring>
#include <sstream>

#include "getrandom_interceptor.h"
#include "vgetrandom_abi.h"

namespace conformance {

using vdsoforge::abi::VgetrandomState;
static_assert(sizeof(VgetrandomState) == kStateBytes);
constexpr size_t kBatchKeyBytes = sizeof(VgetrandomState::batch_key);

uint64_t state_generation(const StateBytes& state) {
  uint64_t g;
  std::memcpy(&g, state.data() + offsetof(VgetrandomState, generation), sizeof g);
  return g;
}
uint8_t state_pos(const StateBytes& state) { return state[offsetof(VgetrandomState, pos)]; }
bool state_in_use(const StateBytes& state) { return state[offsetof(VgetrandomState, in_use)] != 0; }

StateBytes scripted_state(uint64_t generation, uint8_t pos, uint64_t seed, uint64_t stream) {
  StateBytes s{};
  scripted_bytes(seed, stream, s.data(), kBatchKeyBytes);
  std::memcpy(s.data() + offsetof(VgetrandomState, generation), &generation, sizeof generation);
  s[offsetof(VgetrandomState, pos)] = pos;
  return s;
}

CallOutcome run_call_placed(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                            unsigned flags, size_t opaque_len, uint8_t* state_location) {
  CallOutcome outcome;
  outcome.output.assign(len + 1, kSentinel);
  std::memcpy(state_location, start.data(), kStateBytes);
  outcome.ret = impl(outcome.output.data(), len, flags, state_location, opaque_len);
  std::memcpy(outcome.state.data(), state_location, kStateBytes);
  return outcome;
}

CallOutcome run_call(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                     unsigned flags) {
  StateSlot slot;
  return run_call_placed(impl, start, len, flags, kStateBytes, slot.bytes);
}

namespace {

const char* state_field(size_t offset) {
  if (offset < 96) return "batch";
  if (offset < 128) return "key";
  if (offset < 136) return "generation";
  if (offset == 136) return "pos";
  if (offset == 137) return "in_use";
  return "padding";
}

}  // namespace

std::string compare_outcomes(const CallOutcome& expected, const CallOutcome& actual) {
  std::ostringstream why;
  if (expected.ret != actual.ret) {
    why << "return value " << actual.ret << ", expected " << expected.ret;
    return why.str();
  }
  if (expected.output.size() != actual.output.size()) return "output sizes differ (harness bug)";
  const size_t len = expected.output.size() - 1;
  if (expected.output[len] != kSentinel || actual.output[len] != kSentinel) {
    why << "byte after the buffer written (expected side " << int(expected.output[len])
        << ", actual side " << int(actual.output[len]) << ")";
    return why.str();
  }
  for (size_t i = 0; i < len; ++i) {
    if (expected.output[i] != actual.output[i]) {
      why << "output byte " << i << " of " << len << " differs (" << int(actual.output[i])
          << ", expected " << int(expected.output[i]) << ")";
      return why.str();
    }
  }
  for (size_t i = 0; i < kStateBytes; ++i) {
    if (expected.state[i] != actual.state[i]) {
      why << "state byte " << i << " (" << state_field(i) << ") differs afterwards ("
          << int(actual.state[i]) << ", expected " << int(expected.state[i]) << ")";
      return why.str();
    }
  }
  return {};
}

}  // namespace conformance
