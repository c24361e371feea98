#include "report/sarif_report.h"

#include <cstdio>

namespace vdsoforge::tools::report {

namespace {

bool unreserved_or_slash(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/';
}

std::string result_message(const Check& check) {
  std::string text = check.title + ": expected " + check.expected + ", image has " + check.actual;
  if (!check.detail.empty()) text += " (" + check.detail + ")";
  return text;
}

nlohmann::json image_location(const CheckRun& run) {
  return nlohmann::json::array(
      {{{"physicalLocation",
         {{"artifactLocation", {{"uri", path_to_uri(run.artifact)}, {"index", 0}}}}}}});
}

}  // namespace

std::string path_to_uri(const std::string& path) {
  std::string uri = path.starts_with('/') ? "file://" : "";
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (unreserved_or_slash(byte)) {
      uri += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      uri += escaped;
    }
  }
  return uri;
}

nlohmann::json to_sarif(const CheckRun& run) {
  nlohmann::json rules = nlohmann::json::array();
  nlohmann::json results = nlohmann::json::array();
  for (size_t index = 0; index < run.checks.size(); ++index) {
    const Check& check = run.checks[index];
    rules.push_back(
        {{"id", check.id}, {"name", check.group}, {"shortDescription", {{"text", check.title}}}});
    if (check.pass) continue;
    // An undecided check is SARIF's "open" result: the tool could not tell
    // whether the rule holds (a level other than "none" would mean "fail").
    results.push_back(
        {{"ruleId", check.id},
         {"ruleIndex", index},
         {"level", check.determined ? "error" : "none"},
         {"kind", check.determined ? "fail" : "open"},
         {"message", {{"text", result_message(check)}}},
         {"locations", image_location(run)},
         {"properties",
          {{"expected", check.expected}, {"actual", check.actual}, {"detail", check.detail}}}});
  }

  nlohmann::json invocation = {{"executionSuccessful", run.error.empty()}};
  if (!run.error.empty()) {
    invocation["toolExecutionNotifications"] =
        nlohmann::json::array({{{"level", "error"}, {"message", {{"text", run.error}}}}});
  }
  nlohmann::json properties = {{"command", run.command}};
  if (!run.reference.empty()) properties["reference"] = run.reference;

  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", kSarifVersion},
      {"runs", nlohmann::json::array(
                   {{{"tool",
                      {{"driver",
                        {{"name", "vdsoforge"},
                         {"semanticVersion", VDSOFORGE_VERSION_STRING},
                         {"rules", rules}}}}},
                     {"artifacts", nlohmann::json::array(
                                       {{{"location", {{"uri", path_to_uri(run.artifact)}}},
                                         {"roles", nlohmann::json::array({"analysisTarget"})}}})},
                     {"invocations", nlohmann::json::array({invocation})},
                     {"results", results},
                     {"properties", properties}}})},
  };
}

}  // namespace vdsoforge::tools::report
