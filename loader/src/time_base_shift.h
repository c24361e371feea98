// Moving one stored base time of the time data by a signed duration: how the
// emulation shows a realtime offset, and how the mirror of a process in a
// time namespace carries the namespace's offsets.
#pragma once

#include <chrono>
#include <cstdint>

#include "vdsoforge/vdso_time_abi.h"

namespace vdsoforge::detail {

// Adds `offset` to `base`.  The hres clocks keep their nanoseconds shifted
// left by the record's `shift`, the coarse ones plain (`shift` 0).  The
// result stays a whole second count and a fraction below one second.
void shift_base(abi::VdsoTimestamp& base, std::chrono::nanoseconds offset, uint32_t shift);

}  // namespace vdsoforge::detail
