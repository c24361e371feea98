// The "deterministic" section of `vdsoforge exec --report FILE`: the seed,
// the schedule and every draw (each answered getrandom call and AT_RANDOM
// overwrite) with its process, thread, length, flags and result.
#pragma once

#include <nlohmann/json.hpp>

#include "deterministic_replay.h"

namespace vdsoforge::exec {

nlohmann::json deterministic_report(const DeterministicReplay& replay);

}  // namespace vdsoforge::exec
