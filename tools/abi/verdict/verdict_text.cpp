#include "verdict/verdict_text.h"

#include "consumers/consumer_report.h"
#include "report/layout_report.h"

namespace vdsoforge::tools::verdict {

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

std::string check_line(const report::Check& check) {
  const char* outcome = check.pass ? "PASS " : check.determined ? "FAIL " : "UNDETERMINED ";
  std::string line = std::string(outcome) + check.id + ": image " + check.actual + " | reference " +
                     check.expected;
  if (!check.pass && !check.detail.empty()) line += " -- " + check.detail;
  return line;
}

std::string checks_text(const Verdict& verdict) {
  std::string out;
  for (const auto& [group, title] : kGroups) {
    bool heading = false;
    for (const report::Check& check : verdict.checks) {
      if (check.group != group) continue;
      if (!heading) {
        out += std::string("\n") + title + "\n";
        heading = true;
      }
      out += "  " + check_line(check) + "\n";
    }
  }
  return out;
}

std::string not_provided_text(const Verdict& verdict) {
  if (verdict.not_provided.empty()) return "";
  std::string out = "\nNot provided by the image (reference only; not a failure)\n";
  for (const compat::NotProvided& symbol : verdict.not_provided) {
    out += "  " + symbol.name + symbol.version + " " + symbol.binding + " " + symbol.type + "\n";
  }
  return out;
}

std::string result_text(const Verdict& verdict) {
  const std::string total = std::to_string(verdict.checks.size());
  std::string out = "\n";
  switch (verdict.compatibility()) {
    case Compatibility::compatible:
      out += "Result: COMPATIBLE - all " + total + " checks passed\n";
      break;
    case Compatibility::incompatible:
      out += "Result: INCOMPATIBLE - " + std::to_string(verdict.failed()) + " of " + total +
             " checks failed:\n";
      break;
    case Compatibility::undetermined:
      out += "Result: UNDETERMINED - no check failed, but " +
             std::to_string(verdict.undetermined()) + " of " + total + " could not be decided:\n";
      break;
  }
  for (const report::Check& check : verdict.checks) {
    if (!check.pass) out += "  " + check_line(check) + "\n";
  }
  return out;
}

std::string layouts_text(const Verdict& verdict) {
  const SideLayout& image = verdict.image_layout;
  const SideLayout& reference = verdict.reference_layout;
  return "\nData layout, from each side's __vdso_getrandom code:\n" +
         layout_text("image:     ", image.note, image.code) +
         layout_text("reference: ", reference.note, reference.code) +
         "  the rng data checks judge the image by " + compat::judged_by(image.judged) +
         " and the reference by " + compat::judged_by(reference.judged) + "\n" +
         "\nTime data, from each side's time functions' code (JSON data_layout.*.time says "
         "how each fact was found):\n" +
         "  image:     " + compat::describe_time(image.time) + "\n" +
         "  reference: " + compat::describe_time(reference.time) + "\n";
}

std::string required_text(const Verdict& verdict) {
  if (verdict.required_consumers.empty()) return "";
  std::string line = verdict.unmet_consumers.empty()
                         ? "Required consumers: all would use the image"
                         : "Required consumers: would NOT use the image:";
  for (const std::string& id : verdict.unmet_consumers) line += " " + id;
  return "\n" + line + "\n";
}

}  // namespace

std::string render_text(const Verdict& verdict) {
  if (verdict.failure) return "";
  std::string out = "vdsoforge abi\n";
  out += "  image:     " + verdict.image.description + "\n";
  out += "  reference: " + verdict.reference.description + "\n";
  out += checks_text(verdict) + not_provided_text(verdict) + result_text(verdict) +
         layouts_text(verdict);
  if (verdict.consumers) out += consumers::render_text(*verdict.consumers);
  return out + required_text(verdict);
}

}  // namespace vdsoforge::tools::verdict
