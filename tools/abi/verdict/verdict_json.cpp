#include "verdict/verdict_json.h"

#include "consumers/consumer_report.h"
#include "report/layout_report.h"

namespace vdsoforge::tools::verdict {

namespace {

nlohmann::json tool_json() {
  return {{"name", "vdsoforge"}, {"version", VDSOFORGE_VERSION_STRING}};
}

nlohmann::json failure_json(const Failure& failure) {
  return {
      {"schema", kJsonSchema},
      {"tool", tool_json()},
      {"compatible", nullptr},
      {"error", {{"input", failure.input}, {"code", failure.code}, {"message", failure.message}}}};
}

nlohmann::json checks_json(const std::vector<report::Check>& checks) {
  nlohmann::json list = nlohmann::json::array();
  for (const report::Check& check : checks) {
    list.push_back({{"id", check.id},
                    {"group", check.group},
                    {"title", check.title},
                    {"pass", check.pass},
                    {"outcome", check.pass         ? "pass"
                                : check.determined ? "fail"
                                                   : "undetermined"},
                    {"image", check.actual},
                    {"reference", check.expected},
                    {"detail", check.detail}});
  }
  return list;
}

nlohmann::json not_provided_json(const std::vector<compat::NotProvided>& symbols) {
  nlohmann::json list = nlohmann::json::array();
  for (const compat::NotProvided& symbol : symbols) {
    list.push_back({{"name", symbol.name},
                    {"version", symbol.version},
                    {"binding", symbol.binding},
                    {"type", symbol.type}});
  }
  return list;
}

// Both sides' detected layouts, and what the layout.* checks compared each
// side by.
nlohmann::json layout_side_json(const SideLayout& side) {
  nlohmann::json out = layout_json(side.note, side.code);
  out["judged_by"] = compat::judged_by(side.judged);
  out["time"] = time_layout_json(side.time.has_time_functions, side.time.facts);
  return out;
}

}  // namespace

nlohmann::json to_json(const Verdict& verdict) {
  if (verdict.failure) return failure_json(*verdict.failure);
  const size_t failed = verdict.failed();
  const size_t undetermined = verdict.undetermined();
  const Compatibility compatibility = verdict.compatibility();
  nlohmann::json json = {
      {"schema", kJsonSchema},
      {"tool", tool_json()},
      {"image", {{"source", verdict.image.source}, {"size", verdict.image.size}}},
      {"reference", {{"source", verdict.reference.source}, {"size", verdict.reference.size}}},
      // null when undetermined: neither yes nor no.
      {"compatible", compatibility == Compatibility::undetermined
                         ? nlohmann::json(nullptr)
                         : nlohmann::json(compatibility == Compatibility::compatible)},
      {"verdict", compatibility_name(compatibility)},
      {"summary",
       {{"checks", verdict.checks.size()},
        {"passed", verdict.checks.size() - failed - undetermined},
        {"failed", failed},
        {"undetermined", undetermined}}},
      {"checks", checks_json(verdict.checks)},
      {"not_provided", not_provided_json(verdict.not_provided)},
  };
  json["data_layout"] = {{"image", layout_side_json(verdict.image_layout)},
                         {"reference", layout_side_json(verdict.reference_layout)}};
  if (verdict.consumers) json["consumers"] = consumers::to_json(*verdict.consumers);
  if (!verdict.required_consumers.empty()) {
    json["required_consumers"] = {{"ids", verdict.required_consumers},
                                  {"unmet", verdict.unmet_consumers},
                                  {"met", verdict.unmet_consumers.empty()}};
  }
  return json;
}

std::string render_json(const Verdict& verdict) {
  return to_json(verdict).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace vdsoforge::tools::verdict
