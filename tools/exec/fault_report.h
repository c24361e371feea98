// The "faults" section of exec's JSON report: the scenario, and every
// injected event with the getrandom system calls before and after it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "fault_events.h"
#include "fault_scenario.h"

namespace vdsoforge::exec {

// `scenario_path` empty: no --scenario (the events then come from `ctl`).
nlohmann::json fault_report(const FaultLog& log, const FaultScenario& scenario,
                            const std::string& scenario_path);

}  // namespace vdsoforge::exec
