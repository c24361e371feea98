// The time-data `layout.*` checks of `vdsoforge abi`: do the image's time
// functions read the clock records, their tail, the time-namespace page and
// the paravirtual clock pages where the reference kernel keeps them?
//
// A mismatch there is a silent wrong clock: clock_gettime() computes the time
// from bytes that are not the clock records.  Each side's facts come from
// its time functions' code (time_layout_detect.h); a fact the image's code
// does not show comes from its data-layout note, one the reference's code
// does not show from --reference-profile.  A fact neither gives leaves its
// check undetermined, never passed.
#pragma once

#include <string>
#include <vector>

#include "report/check.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/time_layout_detect.h"

namespace vdsoforge::tools::compat {

// One side's time data layout, each fact with how it was found.
struct TimeSide {
  bool has_time_functions = false;
  DetectedTimeLayout facts;
};

// The image: its code, with its data-layout note for facts the code does
// not show.
TimeSide image_time_side(const ElfImage& image, const DetectedTimeLayout& code);

// The reference: its code, with the named profile (--reference-profile) for
// facts the code does not show.
TimeSide reference_time_side(const DetectedTimeLayout& code, const layout::Profile* named);

// One line for people: "clock records at base - 0x6000, 232 bytes apart;
// tail at record 0 + 2320; ...", or "no time functions".
std::string describe_time(const TimeSide& side);

// Appends layout.time_data, layout.time_record_shape, layout.time_tail,
// layout.time_timens_page, layout.pvclock_page and layout.hvclock_page when
// both sides have time functions (the symbol checks report a side without).
void add_time_layout_checks(const TimeSide& image, const TimeSide& reference,
                            std::vector<report::Check>& checks);

}  // namespace vdsoforge::tools::compat
