// A generation change in the middle of one getrandom call: the output's
// second page starts PROT_NONE, and the call's first store there moves the
// given data page's generation before the store is let through.  Used under
// the getrandom trap (getrandom_interceptor.h), in child processes only: it
// installs a SIGSEGV handler for the duration of the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "call_outcome.h"
#include "getrandom_interceptor.h"
#include "vdsoforge/loader.h"

namespace conformance {

struct MidCallOutcome {
  long ret = 0;
  std::vector<uint8_t> output;
  StateBytes state{};
  size_t syscalls = 0;
  int faults = 0;  // 1 when the change really happened during the call
};

// Sets `page` to `generation`, calls `fn` from `start` for 300 bytes that
// cross into the trapped page, and moves `page` to `new_generation` there.
MidCallOutcome mid_call(vdsoforge::GetrandomFn fn, vdsoforge::DataPage& page,
                        const StateBytes& start, uint64_t generation, uint64_t new_generation,
                        const TrapScript& script);

}  // namespace conformance
