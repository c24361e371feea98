#include "exec_report.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "deterministic_report.h"
#include "fault_report.h"

namespace vdsoforge::exec {

namespace {

const char* end_name(TraceEnd end) {
  switch (end) {
    case TraceEnd::exited:
      return "exited";
    case TraceEnd::killed:
      return "signal";
    case TraceEnd::not_started:
      return "not_started";
    case TraceEnd::refused:
      return "refused";
    case TraceEnd::failed:
      return "failed";
  }
  return "failed";
}

}  // namespace

bool write_report(const std::string& path, const ReportContext& context, const TraceResult& result,
                  std::string& error) {
  nlohmann::json report;
  report["image"] = context.image_path;
  report["layout"] = {{"data_area_size", context.data_area_size},
                      {"rng_data_offset", context.rng_data_offset},
                      {"rng_data_below_image", context.data_area_size - context.rng_data_offset},
                      {"text_size", context.text_size}};
  report["options"] = {
      {"count_syscalls", context.count_getrandom},      {"not_ready", context.not_ready},
      {"hide_kernel_vdso", context.hide_kernel_vdso},   {"kernel_data", context.kernel_data},
      {"refuse_privileged", context.refuse_privileged}, {"exec_gate", context.exec_gate}};
  nlohmann::json outcome = {{"end", end_name(result.end)}, {"exit_status", result.exit_status()}};
  if (result.end == TraceEnd::exited) outcome["exit_code"] = result.status;
  if (result.end == TraceEnd::killed) outcome["signal"] = result.status;
  if (!result.message.empty()) outcome["message"] = result.message;
  report["outcome"] = outcome;
  // What the image's data area is: the loader's emulated pages, or with
  // --kernel-data each program's own kernel pages (whose generation exec
  // does not see: final_generation is then null).
  report["data_pages"] = context.kernel_data ? "kernel" : "emulated";
  report["reseeds_forced"] = context.reseeds_forced;
  if (context.faults && context.scenario)
    report["faults"] = fault_report(*context.faults, *context.scenario, context.scenario_path);
  if (context.kernel_data)
    report["final_generation"] = nullptr;
  else
    report["final_generation"] = context.final_generation;
  if (context.deterministic) report["deterministic"] = deterministic_report(*context.deterministic);

  nlohmann::json processes = nlohmann::json::array();
  for (const ProcessRecord& p : result.processes) {
    nlohmann::json entry = {
        {"pid", p.pid},     {"parent", p.parent},         {"program", p.program},
        {"execs", p.execs}, {"image_base", p.image_base}, {"proc_auxv", p.proc_auxv}};
    // Why it runs on the kernel's vDSO instead of the image.
    if (!p.kernel_vdso_because.empty()) entry["kernel_vdso_because"] = p.kernel_vdso_because;
    if (context.count_getrandom) entry["getrandom_syscalls"] = p.getrandom_syscalls;
    processes.push_back(entry);
  }
  report["notes"] = result.notes;
  // The gate the run used, why `auto` fell back to the filter, and (the
  // fanotify gate) mounts whose execs it could not see.
  report["exec_gate"] = {
      {"used", result.gate.empty() ? nullptr : nlohmann::json(result.gate)},
      {"seccomp_because", result.gate_because},
      {"unwatched_mounts", result.unwatched_mounts},
      {"witnessed", result.gate == "fanotify" && result.unwitnessed_because.empty()},
      {"unwitnessed_because", result.unwitnessed_because},
      {"unseen_execs", result.unseen_execs}};
  report["processes_seen"] = result.processes.size();
  report["processes"] = processes;
  if (context.count_getrandom) {
    report["getrandom_syscalls"] = result.getrandom_syscalls;
    nlohmann::json time = nlohmann::json::object();
    for (size_t i = 0; i < kTimeSyscalls.size(); ++i)
      time[kTimeSyscalls[i].name] = result.time_syscalls[i];
    report["time_syscalls"] = time;
  } else {
    report["getrandom_syscalls"] = nullptr;  // not counted without --count-syscalls
    report["time_syscalls"] = nullptr;
  }

  std::ofstream out(path);
  out << report.dump(2) << "\n";
  out.close();
  if (!out) {
    error = "cannot write the report " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace vdsoforge::exec
