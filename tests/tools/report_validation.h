// Validates report files with the Debian tools CI systems' formats are
// checked with, and reads JUnit values back through xmllint's XPath.
#pragma once

#include <string>

#include "files.h"
#include "tool_runner.h"

namespace report_test {

// Exit 0 when valid; the validator's messages otherwise.
test_support::ToolResult validate_junit(const std::string& path);
test_support::ToolResult validate_sarif(const std::string& path);

// The string value of an XPath 1.0 expression over a JUnit file.
std::string junit_xpath(const std::string& path, const std::string& expression);

}  // namespace report_test
