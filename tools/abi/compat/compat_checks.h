// The ELF comparison behind `vdsoforge abi`: every check of an image against
// a reference vDSO (normally the running kernel's).  Namespace compat (is the
// image compatible with the reference), not abi: vdsoforge::abi holds the
// kernel's ABI structs (vgetrandom_abi.h).  verdict/evaluate.h combines it
// with the layout checks and the consumers' predictions.
#pragma once

#include <string>
#include <vector>

#include "report/check.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools::compat {

struct NotProvided {  // a reference export the image lacks (information, not a failure)
  std::string name, version, binding, type;
};

struct Comparison {
  std::vector<report::Check> checks;  // expected: the reference's value
  std::vector<NotProvided> not_provided;
};

// Both images must have been parsed in ParseMode::inspect so rule
// violations are listed rather than fatal.
Comparison compare(const ElfImage& image, const ElfImage& reference);

}  // namespace vdsoforge::tools::compat
