// The `layout.*` checks of `vdsoforge abi`: does the image read its data
// where the reference kernel keeps it?
//
// The ELF checks cannot see this: an image built for Linux 6.15's data pages
// exports the same symbols as one built for 6.12's, yet on a 6.12 kernel it
// reads its generation and is_ready from a page that holds other data.  Each
// side's layout comes from its __vdso_getrandom code (layout_detect.h); the
// image's falls back to its data-layout note, the reference's can be named
// by the user (`--reference-profile`).  A side whose layout stays unknown
// makes the checks undetermined, never silently passed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/check.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge::tools::compat {

// Where one side reads (the image) or keeps (the reference) its data, as
// distances below the vDSO's first byte.
struct LayoutSide {
  bool known = false;
  std::string basis;  // how it was found: "its code (linux-6.11, certain)", ...
  std::string why_unknown;
  uint64_t rng_distance = 0;
  // Pre-6.15 only: the clock mode checked for VDSO_CLOCKMODE_TIMENS, and the
  // page the rng data is read through inside a time namespace.  Empty for a
  // side with no time-namespace indirection.
  std::optional<uint64_t> clock_mode_distance;
  std::optional<uint64_t> timens_page_distance;
};

// How a side's layout was found, or why it was not: what the layout.*
// checks judged it by.
std::string judged_by(const LayoutSide& side);

// The image: its code's layout when the detector found the rng data, else
// its data-layout note, else unknown.
LayoutSide image_layout_side(const ElfImage& image, const DetectedLayout& code);

// The reference: the named profile when there is one, else its code's
// layout when the detector is certain of a profile, else unknown (with why).
LayoutSide reference_layout_side(const DetectedLayout& code, const layout::Profile* named);

// Appends layout.rng_data, and when either side has a time-namespace
// indirection layout.clock_mode and layout.timens_page, to `checks`.
void add_layout_checks(const LayoutSide& image, const LayoutSide& reference,
                       std::vector<report::Check>& checks);

}  // namespace vdsoforge::tools::compat
