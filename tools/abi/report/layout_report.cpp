#include "report/layout_report.h"

#include "vdsoforge/hex.h"

namespace vdsoforge::tools {

std::optional<bool> note_agrees(const std::optional<DataLayout>& note,
                                const DetectedLayout& layout) {
  if (!note || !layout.known()) return std::nullopt;
  const bool same_rng = note->data_area_size >= note->rng_data_offset &&
                        note->data_area_size - note->rng_data_offset == layout.rng_distance;
  // A format-2 note also names the profile and the time-namespace
  // indirection; the code must show the same ones.
  const bool same_timens =
      note->format < 2 || (note->timens ? layout.timens_delta == note->timens->timens_page_offset -
                                                                     note->timens->vvar_page_offset
                                        : !layout.timens_delta);
  const bool same_profile = !note->profile || note->profile == layout.profile;
  return same_rng && same_timens && same_profile;
}

nlohmann::json layout_json(const std::optional<DataLayout>& note, const DetectedLayout& layout) {
  nlohmann::json out = {
      {"confidence", std::string(confidence_name(layout.confidence))},
      {"profile", layout.profile_name()},
      {"reason", layout.reason},
  };
  out["rng_distance"] = layout.known() ? nlohmann::json(layout.rng_distance) : nlohmann::json();
  out["timens_delta"] =
      layout.timens_delta ? nlohmann::json(*layout.timens_delta) : nlohmann::json();
  out["clock_mode_distance"] =
      layout.clock_mode_distance ? nlohmann::json(*layout.clock_mode_distance) : nlohmann::json();
  if (note) {
    out["note"] = {{"format", note->format},
                   {"data_area_size", note->data_area_size},
                   {"rng_data_offset", note->rng_data_offset},
                   {"profile", note->profile ? nlohmann::json(note->profile->name) : nullptr}};
    if (note->timens)
      out["note"]["timens"] = {{"vvar_page_offset", note->timens->vvar_page_offset},
                               {"timens_page_offset", note->timens->timens_page_offset},
                               {"clock_mode_offset", note->timens->clock_mode_offset}};
    else
      out["note"]["timens"] = nullptr;
  } else {
    out["note"] = nullptr;
  }
  const auto agrees = note_agrees(note, layout);
  out["note_agrees"] = agrees ? nlohmann::json(*agrees) : nlohmann::json();
  return out;
}

nlohmann::json time_layout_json(bool has_time_functions, const DetectedTimeLayout& facts) {
  if (!has_time_functions) return nullptr;
  const auto fact = [](const TimeFact& f) {
    const char* state = f.state == TimeFact::State::found    ? "found"
                        : f.state == TimeFact::State::absent ? "absent"
                                                             : "not_determined";
    return nlohmann::json{{"state", state}, {"values", f.values}, {"basis", f.basis}};
  };
  return {{"time_data", fact(facts.time_data)},         {"timens_page", fact(facts.timens_page)},
          {"record_stride", fact(facts.record_stride)}, {"tail", fact(facts.tail)},
          {"pvclock_page", fact(facts.pvclock_page)},   {"hvclock_page", fact(facts.hvclock_page)}};
}

std::string layout_text(const std::string& label, const std::optional<DataLayout>& note,
                        const DetectedLayout& layout) {
  std::string text = "  " + label + describe(layout);
  if (const auto agrees = note_agrees(note, layout)) {
    const std::string profile =
        note->profile ? std::string(", profile ") + note->profile->name : std::string();
    text += *agrees ? " (its data-layout note agrees)"
                    : " (its data-layout note says base - " +
                          hex(note->data_area_size - note->rng_data_offset) + profile +
                          (note->timens ? ", with the time-namespace indirection" : "") +
                          ": DISAGREES)";
  }
  return text + "\n";
}

}  // namespace vdsoforge::tools
