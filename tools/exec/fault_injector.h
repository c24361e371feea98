// Carries out a fault scenario (fault_scenario.h) while the program runs, and
// the same actions on request from the control channel (`vdsoforge ctl`):
// generation bumps, readiness changes, dropped state pages.  Every action is
// recorded in the fault log with the getrandom system-call count around it.
//
// Time rules fire from a thread of their own; call-count rules fire inside
// the supervisor's handling of a getrandom system call, before the call runs,
// so `every 1 syscalls bump` changes the generation under the very key fetch
// that follows a change: the consumer's retry path, deterministically.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data_page_driver.h"
#include "fault_events.h"
#include "fault_scenario.h"
#include "state_snapshot.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::exec {

class FaultInjector {
 public:
  // `tree_root`: the process whose descendants are the program's (exec itself).
  FaultInjector(FaultScenario scenario, DataPage& page, DataPageDriver& driver, FaultLog& log,
                pid_t tree_root);
  ~FaultInjector();  // stops the timer thread
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Starts the time rules; their clock starts now.
  void start();
  // Stops them (the program has ended: nothing more to record).
  void stop();
  // The supervisor saw a getrandom system call (it has not run yet).
  void on_getrandom_syscall();
  struct Outcome {
    std::string detail;   // what it did, or why it failed
    bool failed = false;  // not done, or not all of it (a snapshot file that does not fit,
                          // a process gone before its states were written, ...)
  };
  // Carries out `action` now, records it with `source`.  `file`: for
  // snapshot and restore, save to / restore from that file (an absolute
  // path) instead of keeping the states in memory.
  Outcome apply(FaultAction action, const std::string& source, const std::string& file = {});

  const FaultScenario& scenario() const { return scenario_; }

 private:
  void run_time_rules();

  const FaultScenario scenario_;
  DataPage& page_;
  DataPageDriver& driver_;
  FaultLog& log_;
  const pid_t tree_root_;
  std::mutex action_mutex_;  // one action at a time, whoever asks
  StateSnapshot snapshot_;
  std::vector<uint64_t> fired_;  // per rule
  std::mutex timer_mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread timer_;
};

}  // namespace vdsoforge::exec
