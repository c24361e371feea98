// One background thread that calls a function at a fixed period until it is
// stopped: the engine behind the data page's generation modes and the time
// data's follow_kernel and schedule modes.  Fork-aware: a forked child that
// inherits a running worker abandons it instead of joining a thread it does
// not have.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace vdsoforge::detail {

class PeriodicWorker {
 public:
  PeriodicWorker();   // idle
  ~PeriodicWorker();  // stop()
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  // Stops the thread running now, if any, then starts one that sleeps
  // `period`, calls `tick`, and again, until stop().
  void start(std::chrono::milliseconds period, std::function<void()> tick);
  // Waits for the thread to finish its current tick and end.  In a forked
  // child it returns at once and leaves the parent's thread alone.
  void stop();
  bool running() const { return thread_ != nullptr; }

 private:
  struct Thread;  // the thread and what it sleeps on, abandoned as one
  std::unique_ptr<Thread> thread_;
};

}  // namespace vdsoforge::detail
