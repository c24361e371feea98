#include "fault_report.h"

namespace vdsoforge::exec {

nlohmann::json fault_report(const FaultLog& log, const FaultScenario& scenario,
                            const std::string& scenario_path) {
  nlohmann::json section;
  section["scenario"] = scenario_path.empty() ? nlohmann::json() : nlohmann::json(scenario_path);
  switch (scenario.params) {
    case ParamsFault::none:
      section["params"] = "as the image answers";
      break;
    case ParamsFault::decline:
      section["params"] = "declined (-ENOSYS; every call the system call, as s390 without vector)";
      break;
    case ParamsFault::state_size:
      section["params"] = "state size " + std::to_string(scenario.params_state_size);
      break;
  }
  const std::vector<FaultEvent> events = log.events();
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < events.size(); ++i) {
    const FaultEvent& e = events[i];
    nlohmann::json entry = {{"sequence", e.sequence},     {"time_us", e.time_us},
                            {"action", e.action},         {"source", e.source},
                            {"generation", e.generation}, {"ready", e.ready}};
    if (!e.detail.empty()) entry["detail"] = e.detail;
    if (!e.file.empty()) entry["file"] = e.file;
    for (const auto& [name, value] : e.numbers) entry[name] = value;
    if (e.getrandom_syscalls_at) {
      // The calls since the previous event and until the next one (or the end).
      const uint64_t at = *e.getrandom_syscalls_at;
      const uint64_t before = i == 0 ? 0 : events[i - 1].getrandom_syscalls_at.value_or(0);
      const uint64_t after = i + 1 < events.size()
                                 ? events[i + 1].getrandom_syscalls_at.value_or(at)
                                 : log.getrandom_syscalls();
      entry["getrandom_syscalls_at"] = at;
      entry["getrandom_syscalls_before"] = at - before;
      entry["getrandom_syscalls_after"] = after - at;
    }
    list.push_back(entry);
  }
  section["events"] = list;
  section["events_dropped"] = log.events_dropped();
  return section;
}

}  // namespace vdsoforge::exec
