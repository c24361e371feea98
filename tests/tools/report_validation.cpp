#include "report_validation.h"

#include <stdexcept>

namespace report_test {

test_support::ToolResult validate_junit(const std::string& path) {
  return test_support::run_program({VDSOFORGE_XMLLINT, "--noout", "--schema",
                                    std::string(VDSOFORGE_REPORT_SCHEMAS) + "/junit.xsd", path});
}

test_support::ToolResult validate_sarif(const std::string& path) {
  return test_support::run_program(
      {VDSOFORGE_SYSTEM_PYTHON, std::string(VDSOFORGE_REPORT_SCHEMAS) + "/validate_sarif.py",
       std::string(VDSOFORGE_REPORT_SCHEMAS) + "/sarif-2.1.0-subset.schema.json", path});
}

std::string junit_xpath(const std::string& path, const std::string& expression) {
  const auto result = test_support::run_program({VDSOFORGE_XMLLINT, "--xpath", expression, path});
  // xmllint exits 10 for an XPath whose value is an empty string or node set.
  if (result.exit_code != 0 && result.exit_code != 10) {
    throw std::runtime_error("xmllint --xpath " + expression + " " + path + ": " + result.err);
  }
  // It ends the value with a newline of its own.
  std::string value = result.out;
  if (value.ends_with('\n')) value.pop_back();
  return value;
}

}  // namespace report_test
