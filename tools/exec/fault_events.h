// The record of every fault `exec` injected (a scenario rule firing, or a
// `ctl` command): when, what, and the getrandom system-call count at that
// moment, so the report can show the calls between one event and the next.
// Filled from the scenario timer, the supervisor loop and the control
// channel at once: every member is safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vdsoforge::exec {

struct FaultEvent {
  uint64_t sequence = 0;    // 1, 2, ... in the order they happened
  int64_t time_us = 0;      // since exec started the program
  std::string action;       // "bump", "ready 0", "wipe", ...
  std::string source;       // "scenario line 3: every 1ms bump", "ctl"
  uint64_t generation = 0;  // the data page's generation just after
  bool ready = true;        // its is_ready just after
  std::string detail;       // what the action found or did ("2 processes, 3 mappings ...")
  std::string file;         // the snapshot file of `snapshot --to` / `restore --from`
  std::map<std::string, uint64_t> numbers;        // the same as numbers, for the report
  std::optional<uint64_t> getrandom_syscalls_at;  // the total when it happened (if counted)
};

class FaultLog {
 public:
  // Events past this many are counted, not kept (a storm every 500us).
  static constexpr size_t kMaxEvents = 20000;

  explicit FaultLog(bool counting) : counting_(counting) {}

  void count_getrandom_syscall() { syscalls_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t getrandom_syscalls() const { return syscalls_.load(std::memory_order_relaxed); }
  bool counting() const { return counting_; }

  // Fills sequence, time and the syscall count; returns the sequence.
  uint64_t record(FaultEvent event);

  std::vector<FaultEvent> events() const;
  uint64_t events_dropped() const;

 private:
  const bool counting_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> syscalls_{0};
  mutable std::mutex mutex_;
  std::vector<FaultEvent> events_;
  uint64_t sequence_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace vdsoforge::exec
