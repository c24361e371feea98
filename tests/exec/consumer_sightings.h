// What a run of a real consumer under `vdsoforge exec` shows of one symbol,
// and what a consumer model's predicted outcome would show, so the two can be
// compared.  Shared by the getrandom matrix (test_consumer_verdicts.cpp) and
// the time-symbol matrix (test_consumer_time_verdicts.cpp).
#pragma once

#include <optional>

#include "consumers/consumer_model.h"

namespace exec_test {

enum class Seen {
  uses,          // the consumer called the image's function
  falls_back,    // it made the system call instead
  partly_uses,   // some of each: a mismatch for every prediction
  aborts,        // the run died (or failed a call) there
  not_reached,   // the run died before it: nothing was seen (time matrix only)
  never_called,  // the model says the consumer looks it up; the probe never calls it (time only)
  exec_refused,  // exec refused the image before the program started
};

// The label a matrix cell shows.
const char* seen_name(Seen seen);

// The model's outcome as it would show in a run.  Calling a wrong address
// (the image's ELF header, for st_value 0) faults: the program aborts.
// "unpredictable" has no observable counterpart: such a cell is reported,
// never counted as agreeing.
std::optional<Seen> expected_sight(vdsoforge::tools::consumers::Outcome outcome);

}  // namespace exec_test
