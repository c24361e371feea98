// The comparison behind `vdsoforge abi`: every check of an image against a
// reference vDSO (normally the running kernel's), as a Report.  Namespace
// compat (is the image compatible with the reference), not abi: vdsoforge::abi
// holds the kernel's ABI structs (vgetrandom_abi.h).
#pragma once

#include "compat/compat_report.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools::compat {

// Both images must have been parsed in ParseMode::inspect so rule
// violations are listed rather than fatal.  Fills report.checks and
// report.not_provided; leaves report.image/reference (input info) alone.
void compare(const ElfImage& image, const ElfImage& reference, Report& report);

}  // namespace vdsoforge::tools::compat
