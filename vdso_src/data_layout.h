// Where the image's data pages lie, fixed when the image is built.
//
// The kernel maps its data pages directly below the vDSO text; the image finds
// vdso_rng_data at a constant distance below its own ELF header, addressed
// RIP-relative so the image needs no relocation.  Defaults match Linux 6.18 on
// x86-64: six data pages (four [vvar] + two [vvar_vclock]) with the rng data at
// image base - 0x4000.  Override with -DVDSOFORGE_DATA_AREA_SIZE=... and
// -DVDSOFORGE_RNG_DATA_OFFSET=... (offset from the data area's first byte).
#pragma once

#include <stdint.h>

#include "vgetrandom_abi.h"

#ifndef VDSOFORGE_DATA_AREA_SIZE
#define VDSOFORGE_DATA_AREA_SIZE 0x6000
#endif
#ifndef VDSOFORGE_RNG_DATA_OFFSET
#define VDSOFORGE_RNG_DATA_OFFSET 0x2000
#endif

namespace vdsoforge::image {

inline constexpr uint32_t kDataAreaSize = VDSOFORGE_DATA_AREA_SIZE;
inline constexpr uint32_t kRngDataOffset = VDSOFORGE_RNG_DATA_OFFSET;

static_assert(kDataAreaSize % abi::kPageSize == 0, "data area must be whole pages");
static_assert(kRngDataOffset % alignof(abi::VdsoRngData) == 0, "rng data must be aligned");
static_assert(kRngDataOffset + sizeof(abi::VdsoRngData) <= kDataAreaSize,
              "rng data must lie inside the data area");

}  // namespace vdsoforge::image
