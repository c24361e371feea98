// The emulated time data of an image mapped by this library: the clock
// records and tail its time functions read, written only through the
// loader's writable view under the kernel's seqcount protocol, plus the
// background worker that mirrors the kernel's own time data (follow_kernel).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "kernel_time_source.h"
#include "periodic_worker.h"
#include "vdsoforge/emulated_time.h"
#include "vdsoforge/error.h"
#include "vdsoforge/time_layout.h"

namespace vdsoforge::detail {

class EmulatedTimeData {
 public:
  // `time_data`: the first clock record in the loader's writable view of the
  // data area; `namespace_time_data`: the same place in the namespace's page
  // (nullptr: this layout emulates no time namespace).  Starts in manual
  // mode with every record in VDSO_CLOCKMODE_NONE (the image then takes the
  // system calls) and, in the namespace's page, the TIMENS marker.
  EmulatedTimeData(uint8_t* time_data, uint8_t* namespace_time_data,
                   const layout::TimeLayout& layout, std::chrono::milliseconds follow_interval);
  ~EmulatedTimeData();

  TimeMode mode() const { return mode_.load(); }
  // manual or follow_kernel; leaving a schedule drops its forced clock mode.
  Error set_mode(TimeMode mode);
  // TimeMode::schedule (DataPage::set_time_schedule).
  Error start_schedule(std::vector<TimeStep> steps);
  size_t schedule_steps_done() const { return steps_done_.load(); }
  size_t schedule_steps_started() const { return steps_started_.load(); }
  // How the schedule's namespace steps enter and leave the namespace (the
  // data page's switch, which remaps the image's views).
  void set_namespace_switch(std::function<Error(bool inside)> switch_namespace) {
    switch_namespace_ = std::move(switch_namespace);
  }
  Error sync_with_kernel();

  TimeSnapshot snapshot() const;
  void write(const TimeSnapshot& snapshot);
  void set_clock_mode(int32_t clock_mode);
  // Added to the realtime clocks (REALTIME, REALTIME_COARSE, TAI) of every
  // snapshot written from now on, the mirrored ones included.
  void set_realtime_offset(std::chrono::nanoseconds offset);
  std::chrono::nanoseconds realtime_offset() const;
  Error set_namespace_offset(int clock, int64_t sec, uint64_t nsec);

 private:
  abi::VdsoClock* record(uint8_t* data, unsigned index) const;
  void write_locked(const TimeSnapshot& snapshot);
  Error ensure_source();  // under mode_change_
  void stop_and_reset();  // under mode_change_
  void apply(const TimeChange& change);

  uint8_t* const time_data_;
  uint8_t* const namespace_time_data_;
  const layout::TimeLayout& layout_;
  const std::chrono::milliseconds follow_interval_;

  mutable std::mutex write_mutex_;  // one writer of the records at a time
  TimeSnapshot last_written_{};     // without the realtime offset
  std::chrono::nanoseconds realtime_offset_{0};
  std::optional<int32_t> forced_clock_mode_;  // a schedule's ForceClockMode

  std::mutex mode_change_;
  std::atomic<TimeMode> mode_{TimeMode::manual};
  std::unique_ptr<KernelTimeSource> source_;
  std::function<Error(bool)> switch_namespace_;
  std::atomic<size_t> steps_started_{0};  // counted before a step's change is made
  std::atomic<size_t> steps_done_{0};     // and after it is on the page
  PeriodicWorker worker_;                 // idle in manual mode
};

}  // namespace vdsoforge::detail
