#include "deterministic_report.h"

namespace vdsoforge::exec {

nlohmann::json deterministic_report(const DeterministicReplay& replay) {
  nlohmann::json events = nlohmann::json::array();
  for (const ReplayEvent& e : replay.events()) {
    nlohmann::json entry = {{"kind", e.at_random ? "at_random" : "getrandom"},
                            {"pid", e.pid},
                            {"tid", e.tid},
                            {"length", e.length},
                            {"flags", e.flags},
                            {"result", e.result}};
    // null: nothing was drawn (an error, or length 0).
    entry["draw"] = e.draw ? nlohmann::json(*e.draw) : nlohmann::json(nullptr);
    if (e.passed_to_kernel) entry["answered_by_kernel"] = true;
    if (e.bumped_to != 0) entry["bumped_generation_to"] = e.bumped_to;
    events.push_back(entry);
  }
  return {{"seed", replay.schedule().seed},
          {"bump_every", replay.schedule().bump_every},
          {"draws", replay.draws()},
          {"generation_bumps", replay.bumps()},
          {"events_not_logged", replay.events_not_logged()},
          {"events", events}};
}

}  // namespace vdsoforge::exec
