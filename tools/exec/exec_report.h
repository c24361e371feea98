// The JSON report of `vdsoforge exec --report FILE`.
#pragma once

#include <string>

#include "deterministic_replay.h"
#include "fault_events.h"
#include "fault_scenario.h"
#include "process_tree_tracer.h"

namespace vdsoforge::exec {

struct ReportContext {
  std::string image_path;
  size_t data_area_size = 0;
  uint64_t rng_data_offset = 0;
  size_t text_size = 0;
  bool count_getrandom = false;
  bool not_ready = false;
  bool hide_kernel_vdso = false;
  bool kernel_data = false;  // --kernel-data: the kernel's own data pages
  bool refuse_privileged = false;
  std::string exec_gate = "auto";  // --exec-gate as given
  uint64_t reseeds_forced = 0;
  uint64_t final_generation = 0;
  // Injected faults (--scenario, ctl): the report's "faults" section.
  const FaultLog* faults = nullptr;
  const FaultScenario* scenario = nullptr;
  std::string scenario_path;
  const DeterministicReplay* deterministic = nullptr;  // --deterministic's draws
};

// False with error set if the file cannot be written.
bool write_report(const std::string& path, const ReportContext& context, const TraceResult& result,
                  std::string& error);

}  // namespace vdsoforge::exec
