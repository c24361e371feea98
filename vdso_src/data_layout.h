// Where the image's data pages lie, fixed when the image is built.
//
// The kernel maps its data pages directly below the vDSO text; the image finds
// vdso_rng_data at a constant distance below its own ELF header, addressed
// RIP-relative so the image needs no relocation.  Two ways to say where:
//
//  - a kernel's profile (layout_profiles.h), -DVDSOFORGE_LAYOUT_PROFILE=<id>:
//    that kernel's data area, and for kernels before 6.15 its time-namespace
//    indirection too (the image reads its rng data exactly where that kernel
//    would, inside a namespace as well);
//  - an explicit data area, -DVDSOFORGE_DATA_AREA_SIZE=... and
//    -DVDSOFORGE_RNG_DATA_OFFSET=... (offset from the data area's first byte),
//    with no indirection.
//
// vdsoforge_add_image() always passes one of the two (its LAYOUT, by default
// the explicit area of cmake/VdsoforgeImageDefaults.cmake); this header has no
// defaults of its own, so the numbers live in one place.
#pragma once

#include <stdint.h>

#include "layout_profiles.h"
#include "vgetrandom_abi.h"

#if defined(VDSOFORGE_LAYOUT_PROFILE)
// A profile carries its own numbers.
#define VDSOFORGE_DATA_AREA_SIZE 0
#define VDSOFORGE_RNG_DATA_OFFSET 0
#elif defined(VDSOFORGE_DATA_AREA_SIZE) && defined(VDSOFORGE_RNG_DATA_OFFSET)
#define VDSOFORGE_LAYOUT_PROFILE 0  // layout::ProfileId::custom
#else
#error "no data layout: build the image with vdsoforge_add_image(), whose LAYOUT defines it"
#endif

namespace vdsoforge::image {

inline constexpr layout::ProfileId kProfileId =
    static_cast<layout::ProfileId>(VDSOFORGE_LAYOUT_PROFILE);
// nullptr for an explicit data area.
inline constexpr const layout::Profile* kProfile = layout::find_profile(kProfileId);
static_assert(kProfileId == layout::ProfileId::custom || kProfile != nullptr,
              "VDSOFORGE_LAYOUT_PROFILE names no profile of layout_profiles.h");

inline constexpr uint32_t kDataAreaSize =
    kProfile ? kProfile->data_area_size : uint32_t{VDSOFORGE_DATA_AREA_SIZE};
inline constexpr uint32_t kRngDataOffset =
    kProfile ? kProfile->rng_data_offset : uint32_t{VDSOFORGE_RNG_DATA_OFFSET};

static_assert(kDataAreaSize % abi::kPageSize == 0, "data area must be whole pages");
static_assert(kRngDataOffset % alignof(abi::VdsoRngData) == 0, "rng data must be aligned");
static_assert(kRngDataOffset + sizeof(abi::VdsoRngData) <= kDataAreaSize,
              "rng data must lie inside the data area");

// The pre-6.15 time-namespace indirection, all offsets from the data area's
// first byte (0 when the layout has none).
inline constexpr bool kTimensIndirection = kProfile && kProfile->has_timens_indirection;
inline constexpr uint32_t kVvarPageOffset = kTimensIndirection ? kProfile->vvar_page_offset : 0;
inline constexpr uint32_t kTimensPageOffset = kTimensIndirection ? kProfile->timens_page_offset : 0;
inline constexpr uint32_t kClockModeOffset =
    kTimensIndirection ? kProfile->vvar_page_offset + kProfile->clock_mode_offset : 0;

static_assert(!kTimensIndirection ||
                  (kVvarPageOffset % abi::kPageSize == 0 &&
                   kTimensPageOffset % abi::kPageSize == 0 && kTimensPageOffset > kVvarPageOffset &&
                   kTimensPageOffset + abi::kPageSize <= kDataAreaSize),
              "vvar and timens pages must be distinct whole pages of the data area, timens above");
// The namespace path shifts the rng address by whole pages, so it lands at
// the same offset in the timens slot: both must be in the vvar page.
static_assert(!kTimensIndirection ||
                  (kRngDataOffset >= kVvarPageOffset &&
                   kRngDataOffset + sizeof(abi::VdsoRngData) <= kVvarPageOffset + abi::kPageSize),
              "the rng data must lie in the vvar page");
static_assert(!kTimensIndirection ||
                  (kClockModeOffset % alignof(int32_t) == 0 &&
                   kClockModeOffset >= kVvarPageOffset &&
                   kClockModeOffset + sizeof(int32_t) <= kVvarPageOffset + abi::kPageSize),
              "the clock mode must be an aligned s32 in the vvar page");

}  // namespace vdsoforge::image
