// One call under the getrandom trap (getrandom_interceptor.h): the outcome
// plus the system calls it made, so kernel vDSO, model and image can be
// compared on paths that involve the syscall.  Child processes only.
#pragma once

#include <array>
#include <string>

#include "call_outcome.h"
#include "getrandom_interceptor.h"

namespace conformance {

struct TrappedOutcome {
  CallOutcome call;
  size_t syscalls = 0;
  std::array<TrappedCall, 4> log{};
};

struct Placement {
  size_t opaque_len = kStateBytes;
  size_t page_offset = 256;  // where in a page the state goes (4096-143 straddles)
};

TrappedOutcome run_trapped(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                           unsigned flags, const TrapScript& script, Placement placement = {});

std::string compare_trapped(const TrappedOutcome& expected, const TrappedOutcome& actual);

}  // namespace conformance
