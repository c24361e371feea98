// The processes below a given one, as /proc shows them now: what `ctl wipe`,
// `snapshot` and the tracer (killing the tree after a refusal) walk over.
#pragma once

#include <sys/types.h>

#include <vector>

namespace vdsoforge::exec {

// Every process below `root` (PPid links in /proc), not `root` itself.  A
// process that forks or exits meanwhile may be missed or listed stale; the
// callers treat each pid as possibly gone.
std::vector<pid_t> processes_below(pid_t root);

}  // namespace vdsoforge::exec
