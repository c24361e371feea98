// Host build of the image's time functions, for unit tests that build a data
// area in ordinary memory: the same vdso_time.h code the image compiles,
// bound to the caller's data area as a profile's kernel lays it out.
#pragma once

#include <stdint.h>

#include "layout_profiles.h"
#include "vdso_time_abi.h"

namespace vdsoforge::host {

// `area`: the data area's first byte (what the image finds kDataAreaSize
// below itself).  ProfileId::custom means an explicit area (time data at
// offset 0, generic shape).  Returns what the image's export returns.
int clock_gettime(layout::ProfileId profile, const uint8_t* area, int clock,
                  abi::KernelTimespec* ts);
int gettimeofday(layout::ProfileId profile, const uint8_t* area, abi::KernelTimeval* tv,
                 abi::KernelTimezone* tz);
int clock_getres(layout::ProfileId profile, const uint8_t* area, int clock,
                 abi::KernelTimespec* res);

}  // namespace vdsoforge::host
