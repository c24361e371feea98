#include "compat/compat_report.h"

#include <algorithm>

namespace vdsoforge::tools::compat {

namespace {

struct GroupTitle {
  const char* group;
  const char* title;
};
// Report order, and the heading each group prints under.
constexpr GroupTitle kGroups[] = {
    {"identity", "ELF identity"},
    {"segments", "Program headers"},
    {"dynamic", "Dynamic tags"},
    {"versions", "Version definitions"},
    {"symbols", "Exported symbols"},
    {"notes", "Notes"},
    {"hash", "Hash tables (each finds every export)"},
    {"rules", "vDSO rules (parser)"},
    {"layout", "Data layout (where the image reads its data, where the reference keeps it)"},
};

std::string check_line(const Check& check) {
  const char* outcome = check.pass ? "PASS " : check.determined ? "FAIL " : "UNDETERMINED ";
  std::string line = std::string(outcome) + check.id + ": image " + check.image + " | reference " +
                     check.reference;
  if (!check.pass && !check.detail.empty()) line += " -- " + check.detail;
  return line;
}

}  // namespace

size_t Report::failed() const {
  return static_cast<size_t>(std::count_if(checks.begin(), checks.end(),
                                           [](const Check& c) { return c.determined && !c.pass; }));
}

size_t Report::undetermined() const {
  return static_cast<size_t>(
      std::count_if(checks.begin(), checks.end(), [](const Check& c) { return !c.determined; }));
}

Verdict Report::verdict() const {
  if (failed() > 0) return Verdict::incompatible;
  return undetermined() > 0 ? Verdict::undetermined : Verdict::compatible;
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::compatible:
      return "compatible";
    case Verdict::incompatible:
      return "incompatible";
    case Verdict::undetermined:
      return "undetermined";
  }
  return "undetermined";
}

std::string render_text(const Report& report) {
  std::string out;
  out += "vdsoforge abi\n";
  out += "  image:     " + report.image.description + "\n";
  out += "  reference: " + report.reference.description + "\n";
  for (const auto& [group, title] : kGroups) {
    bool heading = false;
    for (const Check& check : report.checks) {
      if (check.group != group) continue;
      if (!heading) {
        out += std::string("\n") + title + "\n";
        heading = true;
      }
      out += "  " + check_line(check) + "\n";
    }
  }
  if (!report.not_provided.empty()) {
    out += "\nNot provided by the image (reference only; not a failure)\n";
    for (const NotProvided& symbol : report.not_provided) {
      out += "  " + symbol.name + symbol.version + " " + symbol.binding + " " + symbol.type + "\n";
    }
  }
  const size_t failed = report.failed();
  const size_t undetermined = report.undetermined();
  const std::string total = std::to_string(report.checks.size());
  out += "\n";
  switch (report.verdict()) {
    case Verdict::compatible:
      out += "Result: COMPATIBLE - all " + total + " checks passed\n";
      break;
    case Verdict::incompatible:
      out +=
          "Result: INCOMPATIBLE - " + std::to_string(failed) + " of " + total + " checks failed:\n";
      break;
    case Verdict::undetermined:
      out += "Result: UNDETERMINED - no check failed, but " + std::to_string(undetermined) +
             " of " + total + " could not be decided:\n";
      break;
  }
  for (const Check& check : report.checks) {
    if (!check.pass) out += "  " + check_line(check) + "\n";
  }
  return out;
}

nlohmann::json to_json(const Report& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const Check& check : report.checks) {
    checks.push_back({{"id", check.id},
                      {"group", check.group},
                      {"title", check.title},
                      {"pass", check.pass},
                      {"outcome", check.pass         ? "pass"
                                  : check.determined ? "fail"
                                                     : "undetermined"},
                      {"image", check.image},
                      {"reference", check.reference},
                      {"detail", check.detail}});
  }
  nlohmann::json not_provided = nlohmann::json::array();
  for (const NotProvided& symbol : report.not_provided) {
    not_provided.push_back({{"name", symbol.name},
                            {"version", symbol.version},
                            {"binding", symbol.binding},
                            {"type", symbol.type}});
  }
  const size_t failed = report.failed();
  const size_t undetermined = report.undetermined();
  const Verdict verdict = report.verdict();
  return {
      {"schema", kJsonSchema},
      {"tool", {{"name", "vdsoforge"}, {"version", VDSOFORGE_VERSION_STRING}}},
      {"image", {{"source", report.image.source}, {"size", report.image.size}}},
      {"reference", {{"source", report.reference.source}, {"size", report.reference.size}}},
      // null when undetermined: neither yes nor no.
      {"compatible", verdict == Verdict::undetermined
                         ? nlohmann::json(nullptr)
                         : nlohmann::json(verdict == Verdict::compatible)},
      {"verdict", verdict_name(verdict)},
      {"summary",
       {{"checks", report.checks.size()},
        {"passed", report.checks.size() - failed - undetermined},
        {"failed", failed},
        {"undetermined", undetermined}}},
      {"checks", checks},
      {"not_provided", not_provided},
  };
}

report::CheckRun to_check_run(const Report& report) {
  report::CheckRun run{
      .command = "abi", .artifact = report.image.source, .reference = report.reference.source};
  for (const Check& check : report.checks) {
    run.checks.push_back({.name = check.id,
                          .group = check.group,
                          .title = check.title,
                          .pass = check.pass,
                          .determined = check.determined,
                          .expected = check.reference,
                          .actual = check.image,
                          .detail = check.detail});
  }
  return run;
}

nlohmann::json error_json(const std::string& input, const std::string& code,
                          const std::string& message) {
  return {{"schema", kJsonSchema},
          {"tool", {{"name", "vdsoforge"}, {"version", VDSOFORGE_VERSION_STRING}}},
          {"compatible", nullptr},
          {"error", {{"input", input}, {"code", code}, {"message", message}}}};
}

}  // namespace vdsoforge::tools::compat
