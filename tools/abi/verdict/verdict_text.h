// `vdsoforge abi`'s report for people: the checks by group, the reference's
// exports the image lacks, the result, both sides' data layouts and, when
// asked for, the consumers' predictions.
#pragma once

#include <string>

#include "verdict/verdict.h"

namespace vdsoforge::tools::verdict {

// Empty for a verdict with a failure: the command's message says it all.
std::string render_text(const Verdict& verdict);

}  // namespace vdsoforge::tools::verdict
