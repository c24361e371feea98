// The time data an image's clock functions read, as the loader emulates it
// (DataPage in loader.h): what a snapshot holds and how it moves.
#pragma once

#include <string_view>

#include "vdsoforge/vdso_time_abi.h"

namespace vdsoforge {

// How the emulated time data moves on its own.
enum class TimeMode {
  manual,         // only DataPage::set_time() and friends change it (tests)
  follow_kernel,  // mirrored from this process's own kernel time data, periodically
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

}  // namespace vdsoforge
