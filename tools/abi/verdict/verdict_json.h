// `vdsoforge abi --json`: the verdict as schema "vdsoforge-abi/1"
// (documented in docs/integration.md), or the error object of a run that
// checked nothing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "verdict/verdict.h"

namespace vdsoforge::tools::verdict {

// Bump only when a field changes meaning or disappears; adding fields or
// check ids keeps the version.
inline constexpr const char* kJsonSchema = "vdsoforge-abi/1";

nlohmann::json to_json(const Verdict& verdict);

// to_json as printed: indented by two, a newline at the end.  A damaged
// image's names need not be UTF-8: such bytes print as U+FFFD rather than
// aborting the report.
std::string render_json(const Verdict& verdict);

}  // namespace vdsoforge::tools::verdict
