// A schedule of time-data changes (TimeMode::schedule): checking a script
// before it starts, and handing out its steps as they fall due.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "vdsoforge/emulated_time.h"
#include "vdsoforge/error.h"

namespace vdsoforge::detail {

// Every reason a script would fail half-way, found before it starts: steps
// out of order or before 0, namespace steps without an emulated namespace,
// namespace offsets the page cannot hold.
Error check_time_schedule(std::span<const TimeStep> steps, bool has_time_namespace);

// One run of a checked script, timed from its construction.
class TimeScheduleRun {
 public:
  explicit TimeScheduleRun(std::vector<TimeStep> steps);

  // The steps that have fallen due since the last call, in order.
  std::span<const TimeStep> take_due();
  size_t taken() const { return next_; }

 private:
  std::vector<TimeStep> steps_;
  std::chrono::steady_clock::time_point start_;
  size_t next_ = 0;
};

}  // namespace vdsoforge::detail
