// SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, IDEs): one run of
// the tool, every check as a rule of the driver, one error-level result per
// failed check located in the image (the single artifact), and an
// unsuccessful invocation with a notification when the run could not check.
// tests/tools/sarif-2.1.0-subset.schema.json lists the properties written.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report/check.h"

namespace vdsoforge::tools::report {

inline constexpr const char* kSarifVersion = "2.1.0";

nlohmann::json to_sarif(const CheckRun& run);

// A file path as a SARIF artifact URI: absolute paths become file:// URIs,
// relative ones stay relative references; both percent-encoded (RFC 3986).
std::string path_to_uri(const std::string& path);

}  // namespace vdsoforge::tools::report
