#include "fault_events.h"

namespace vdsoforge::exec {

uint64_t FaultLog::record(FaultEvent event) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  event.sequence = ++sequence_;
  event.time_us = std::chrono::duration_cast<std::chrono::microseconds>(now - start_).count();
  if (counting_) event.getrandom_syscalls_at = getrandom_syscalls();
  if (events_.size() < kMaxEvents)
    events_.push_back(std::move(event));
  else
    ++dropped_;
  return sequence_;
}

std::vector<FaultEvent> FaultLog::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

uint64_t FaultLog::events_dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace vdsoforge::exec
