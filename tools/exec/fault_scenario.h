// The fault-injection script of `vdsoforge exec --scenario FILE`: one rule
// per line, each a trigger and an action, plus set-up lines that change what
// the image answers before the program starts.  docs/exec.md ("Fault
// injection") is the reference; in short:
//
//   # comment (also after a rule)
//   at 20ms bump                   once, 20 ms after the program started
//   every 1ms bump times 50        periodically (times: at most N firings)
//   every 5 syscalls bump          after every 5th getrandom system call, before it runs
//   after 10 syscalls wipe         once, after the 10th
//   every 3ms ready toggle         ready 0 | ready 1 | ready toggle
//   at 40ms wipe                   drop every MAP_DROPPABLE page of the tree
//   at 10ms snapshot / at 30ms restore   save the tree's state pages / write them back
//   at 10ms snapshot to FILE       the same through a file, for a second run:
//   at 10ms restore from FILE      restore from FILE (a clone; relative names are
//                                  taken from exec's working directory)
//   params decline                 set-up: the parameter query answers as s390 without
//                                  its vector facility (-ENOSYS, nothing filled)
//   params state-size 8192         set-up: the query reports this state size
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdsoforge::exec {

enum class FaultAction {
  bump,          // the generation changes (a kernel reseed)
  ready_off,     // is_ready = 0
  ready_on,      // is_ready = 1
  ready_toggle,  // is_ready flips
  wipe,          // the tree's MAP_DROPPABLE pages are dropped, as under memory pressure
  snapshot,      // the tree's state pages are saved (state_snapshot.h)
  restore,       // and written back: the tree continues from the saved states
};

const char* fault_action_name(FaultAction action);

enum class FaultTrigger {
  at_time,         // once, `time` after the start
  every_time,      // every `time`
  after_syscalls,  // once, after the `count`th getrandom system call
  every_syscalls,  // after every `count`th
};

struct FaultRule {
  FaultTrigger trigger = FaultTrigger::at_time;
  std::chrono::microseconds time{0};
  uint64_t count = 0;
  uint64_t times = 0;  // 0: no limit (every_*)
  FaultAction action = FaultAction::bump;
  std::string file;  // snapshot to / restore from this file (absolute); "" in memory
  std::string text;  // the line as written, for the report
  unsigned line = 0;
};

// What the image's parameter query answers (`params` set-up lines).
enum class ParamsFault {
  none,
  decline,     // -ENOSYS, the record untouched; every other call the system call
  state_size,  // the record, with size_of_opaque_state replaced
};

struct FaultScenario {
  std::vector<FaultRule> rules;
  ParamsFault params = ParamsFault::none;
  uint32_t params_state_size = 0;

  bool needs_syscall_counts() const { return !rules.empty() || params != ParamsFault::none; }
};

// Parses a scenario; nullopt with `error` set to "FILE:LINE: what is wrong".
std::optional<FaultScenario> parse_fault_scenario(const std::string& text, const std::string& name,
                                                  std::string& error);
std::optional<FaultScenario> load_fault_scenario(const std::string& path, std::string& error);

// An action word as `ctl` and the scenario write it ("bump", "wipe",
// "ready 0", ...), or nullopt.
std::optional<FaultAction> parse_fault_action(const std::vector<std::string>& words);

}  // namespace vdsoforge::exec
