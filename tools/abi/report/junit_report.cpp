#include "report/junit_report.h"

#include <cstdio>

namespace vdsoforge::tools::report {

namespace {

// Escapes for both attribute values and element text.  Control characters
// other than tab and newline are not allowed in XML 1.0 at all, so they are
// written as U+FFFD rather than producing a file parsers reject.
std::string xml_escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string attribute(const char* name, const std::string& value) {
  return std::string(" ") + name + "=\"" + xml_escaped(value) + "\"";
}

std::string failure_message(const Check& check) {
  std::string message = "expected " + check.expected + ", image has " + check.actual;
  if (!check.detail.empty()) message += " -- " + check.detail;
  return message;
}

std::string testcase(const std::string& suite, const Check& check) {
  std::string xml = "    <testcase" + attribute("name", check.id) +
                    attribute("classname", suite + "." + check.group) + attribute("time", "0");
  if (check.pass) return xml + "/>\n";
  if (!check.determined) {
    // Neither passed nor failed: JUnit's word for a check not carried out.
    return xml + ">\n      <skipped" + attribute("message", "undetermined: " + check.detail) + ">" +
           xml_escaped(check.title + "\nexpected: " + check.expected +
                       "\nactual:   " + check.actual) +
           "</skipped>\n    </testcase>\n";
  }
  xml += ">\n      <failure" + attribute("message", failure_message(check)) +
         attribute("type", check.group) + ">";
  xml += xml_escaped(check.title + "\nexpected: " + check.expected + "\nactual:   " + check.actual +
                     (check.detail.empty() ? "" : "\ndetail:   " + check.detail));
  return xml + "</failure>\n    </testcase>\n";
}

}  // namespace

std::string to_junit(const CheckRun& run) {
  const std::string suite = "vdsoforge." + run.command;
  const bool errored = !run.error.empty();
  const size_t tests = errored ? 1 : run.checks.size();
  const size_t failures = errored ? 0 : run.failed();
  const std::string counts = attribute("tests", std::to_string(tests)) +
                             attribute("failures", std::to_string(failures)) +
                             attribute("errors", errored ? "1" : "0");
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites" + attribute("name", "vdsoforge " + run.command) + counts +
         attribute("time", "0") + ">\n";
  const size_t skipped = errored ? 0 : run.undetermined();
  xml += "  <testsuite" + attribute("name", suite) + counts +
         attribute("skipped", std::to_string(skipped)) + attribute("time", "0") + ">\n";
  xml += "    <properties>\n";
  xml += "      <property" + attribute("name", "image") + attribute("value", run.artifact) + "/>\n";
  if (!run.reference.empty()) {
    xml += "      <property" + attribute("name", "reference") + attribute("value", run.reference) +
           "/>\n";
  }
  xml += "      <property" + attribute("name", "tool.version") +
         attribute("value", VDSOFORGE_VERSION_STRING) + "/>\n";
  xml += "    </properties>\n";
  if (errored) {
    xml += "    <testcase" + attribute("name", "input") + attribute("classname", suite) +
           attribute("time", "0") + ">\n      <error" + attribute("message", run.error) +
           attribute("type", "unreadable input") + ">" + xml_escaped(run.error) +
           "</error>\n    </testcase>\n";
  } else {
    for (const Check& check : run.checks) xml += testcase(suite, check);
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace vdsoforge::tools::report
