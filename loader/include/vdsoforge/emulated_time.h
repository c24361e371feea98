// The time data an image's clock functions read, as the loader emulates it
// (DataPage in loader.h): what a snapshot holds and how it moves.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "vdsoforge/vdso_time_abi.h"

namespace vdsoforge {

// How the emulated time data moves on its own.
enum class TimeMode {
  manual,         // only DataPage::set_time() and friends change it (tests)
  follow_kernel,  // mirrored from this process's own kernel time data, periodically
  schedule,       // mirrored as follow_kernel, changed by a script of TimeSteps on the way
};
std::string_view time_mode_name(TimeMode mode);

// The time data, independent of the data layout that stores it: the two
// clock records ([abi::kCsHresCoarse] for the hres and coarse clocks,
// [abi::kCsRaw] for CLOCK_MONOTONIC_RAW) and the timezone/resolution tail.
// Each record's seq is the loader's to keep: it is ignored when written.
struct TimeSnapshot {
  abi::VdsoClock clocks[abi::kCsBases];
  abi::VdsoTimeTail tail;
};

// ---- The schedule (DataPage::set_time_schedule) ----
// What one step of a schedule changes.  The changes hold over the mirrored
// data until a later step (or the end of the schedule mode) undoes them.
namespace time_change {
// Moves CLOCK_REALTIME, its coarse twin and CLOCK_TAI by `by` (added to
// the realtime offset), as settimeofday() does; negative jumps go back.
struct JumpRealtime {
  std::chrono::nanoseconds by;
};
// Shows `clock_mode` (abi::kClockMode*) in both records instead of the
// kernel's: kClockModeNone sends the image's clocks to the system calls.
struct ForceClockMode {
  int32_t clock_mode;
};
// Back to the mirrored data's own clock mode.
struct ReleaseClockMode {};
// The emulated time namespace's offset for one clock id (0-11), as
// DataPage::set_time_namespace_offset().
struct NamespaceOffset {
  int clock;
  int64_t sec;
  uint64_t nsec;
};
// Enters (true) or leaves (false) the emulated time namespace.
struct TimeNamespace {
  bool inside;
};
}  // namespace time_change
using TimeChange = std::variant<time_change::JumpRealtime, time_change::ForceClockMode,
                                time_change::ReleaseClockMode, time_change::NamespaceOffset,
                                time_change::TimeNamespace>;

// One change, `at` after the schedule starts (steady clock).  A schedule's
// steps are in order of `at`; steps due at the same moment apply in order.
struct TimeStep {
  std::chrono::milliseconds at;
  TimeChange change;
};

}  // namespace vdsoforge
