#include "emulated_time_data.h"

#include <cstring>
#include <string>
#include <type_traits>
#include <variant>

#include "time_base_shift.h"
#include "time_schedule.h"

namespace vdsoforge::detail {
namespace {

template <typename T>
void store(T& field, T value) {
  __atomic_store_n(&field, value, __ATOMIC_RELAXED);
}

}  // namespace

EmulatedTimeData::EmulatedTimeData(uint8_t* time_data, uint8_t* namespace_time_data,
                                   const layout::TimeLayout& layout,
                                   std::chrono::milliseconds follow_interval)
    : time_data_(time_data),
      namespace_time_data_(namespace_time_data),
      layout_(layout),
      follow_interval_(follow_interval) {
  if (namespace_time_data_) {
    // The kernel's namespace page: seq 1 (odd, so a reader that does not
    // know the marker never finishes) and the TIMENS clock mode in both
    // records; offsets zero until set.
    for (unsigned i = 0; i < abi::kCsBases; ++i) {
      abi::VdsoClock* r = record(namespace_time_data_, i);
      store(r->seq, uint32_t{1});
      store(r->clock_mode, abi::kClockModeTimensMarker);
    }
  }
}

EmulatedTimeData::~EmulatedTimeData() { worker_.stop(); }

abi::VdsoClock* EmulatedTimeData::record(uint8_t* data, unsigned index) const {
  return reinterpret_cast<abi::VdsoClock*>(data + index * layout_.clock_stride);
}

TimeSnapshot EmulatedTimeData::snapshot() const {
  std::lock_guard lock(write_mutex_);
  TimeSnapshot copy{};
  for (unsigned i = 0; i < abi::kCsBases; ++i) {
    const abi::VdsoClock* r = record(time_data_, i);
    std::memcpy(&copy.clocks[i], r, sizeof *r);
  }
  std::memcpy(&copy.tail, time_data_ + layout_.tail_offset, sizeof copy.tail);
  return copy;
}

void EmulatedTimeData::write(const TimeSnapshot& snapshot) {
  std::lock_guard lock(write_mutex_);
  write_locked(snapshot);
}

// The kernel's writer side: both records' seq go odd, the fields change, both
// go even again; the image's readers retry any read that saw a change.  Each
// field is one relaxed atomic store between release fences, so no reader ever
// sees half a value or a seq out of order with the data.
void EmulatedTimeData::write_locked(const TimeSnapshot& snapshot) {
  last_written_ = snapshot;
  TimeSnapshot shown = snapshot;
  if (forced_clock_mode_)
    for (auto& r : shown.clocks) r.clock_mode = *forced_clock_mode_;
  if (realtime_offset_.count() != 0) {
    abi::VdsoClock& hres = shown.clocks[abi::kCsHresCoarse];
    shift_base(hres.basetime[abi::kClockRealtime], realtime_offset_, hres.shift);
    shift_base(hres.basetime[abi::kClockTai], realtime_offset_, hres.shift);
    shift_base(hres.basetime[abi::kClockRealtimeCoarse], realtime_offset_, 0);
  }
  uint32_t seq[abi::kCsBases];
  for (unsigned i = 0; i < abi::kCsBases; ++i) {
    abi::VdsoClock* r = record(time_data_, i);
    seq[i] = __atomic_load_n(&r->seq, __ATOMIC_RELAXED) | 1;  // odd: a write is under way
    store(r->seq, seq[i]);
  }
  __atomic_thread_fence(__ATOMIC_RELEASE);
  for (unsigned i = 0; i < abi::kCsBases; ++i) {
    abi::VdsoClock* r = record(time_data_, i);
    const abi::VdsoClock& from = shown.clocks[i];
    store(r->clock_mode, from.clock_mode);
    store(r->cycle_last, from.cycle_last);
    store(r->max_cycles, from.max_cycles);
    store(r->mask, from.mask);
    store(r->mult, from.mult);
    store(r->shift, from.shift);
    for (unsigned b = 0; b < abi::kVdsoBases; ++b) {
      store(r->basetime[b].sec, from.basetime[b].sec);
      store(r->basetime[b].nsec, from.basetime[b].nsec);
    }
  }
  auto* tail = reinterpret_cast<abi::VdsoTimeTail*>(time_data_ + layout_.tail_offset);
  store(tail->tz_minuteswest, shown.tail.tz_minuteswest);
  store(tail->tz_dsttime, shown.tail.tz_dsttime);
  store(tail->hrtimer_res, shown.tail.hrtimer_res);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  for (unsigned i = 0; i < abi::kCsBases; ++i)
    __atomic_store_n(&record(time_data_, i)->seq, seq[i] + 1, __ATOMIC_RELEASE);
}

void EmulatedTimeData::set_clock_mode(int32_t clock_mode) {
  std::lock_guard lock(write_mutex_);
  TimeSnapshot next = last_written_;
  for (auto& r : next.clocks) r.clock_mode = clock_mode;
  write_locked(next);
}

void EmulatedTimeData::set_realtime_offset(std::chrono::nanoseconds offset) {
  std::lock_guard lock(write_mutex_);
  realtime_offset_ = offset;
  write_locked(last_written_);
}

std::chrono::nanoseconds EmulatedTimeData::realtime_offset() const {
  std::lock_guard lock(write_mutex_);
  return realtime_offset_;
}

Error EmulatedTimeData::set_namespace_offset(int clock, int64_t sec, uint64_t nsec) {
  if (!namespace_time_data_)
    return {LoaderErrc::not_supported,
            "the image's data layout emulates no time namespace (its timens page is missing "
            "or holds the rng data)"};
  if (clock < 0 || static_cast<unsigned>(clock) >= abi::kVdsoBases || nsec >= abi::kNsecPerSec)
    return {LoaderErrc::invalid_argument, "time-namespace offset: clock " + std::to_string(clock) +
                                              " is no vDSO clock id (0-11) or nsec " +
                                              std::to_string(nsec) + " is not below one second"};
  std::lock_guard lock(write_mutex_);
  // Both records carry the offsets, as the kernel writes them: the raw
  // clock's is read from the second one.
  for (unsigned i = 0; i < abi::kCsBases; ++i) {
    abi::VdsoClock* r = record(namespace_time_data_, i);
    store(r->offset[clock].sec, sec);
    store(r->offset[clock].nsec, nsec);
  }
  return {};
}

// One copy of the kernel's clocks as this process sees them: inside a real
// time namespace that includes the namespace's offsets.
Error EmulatedTimeData::sync_with_kernel() {
  const KernelTimeSource* source = nullptr;
  {
    std::lock_guard serialised(mode_change_);
    if (Error e = ensure_source(); e) return e;
    source = source_.get();
  }
  write(source->read());
  return {};
}

Error EmulatedTimeData::ensure_source() {
  if (source_) return {};
  Error err;
  source_ = KernelTimeSource::create(err);
  return source_ ? Error{} : err;
}

// What every mode change starts from: no background writer, no schedule
// steps counted, no clock mode forced by a previous script.  The realtime
// offset and the namespace stay, as the caller set them.
void EmulatedTimeData::stop_and_reset() {
  worker_.stop();
  steps_started_.store(0);
  steps_done_.store(0);
  std::lock_guard lock(write_mutex_);
  forced_clock_mode_.reset();
}

Error EmulatedTimeData::set_mode(TimeMode mode) {
  if (mode == TimeMode::schedule)
    return {LoaderErrc::invalid_argument,
            "TimeMode::schedule needs its steps: start it with DataPage::set_time_schedule()"};
  std::lock_guard serialised(mode_change_);
  if (mode == TimeMode::follow_kernel)
    if (Error e = ensure_source(); e) return e;
  stop_and_reset();
  // Published at once, so the page follows the kernel from this call on.
  if (mode == TimeMode::follow_kernel) write(source_->read());
  mode_.store(mode);
  // Copies the kernel's time data every follow interval: the coarse clocks
  // then lag the kernel's by at most that, the hres clocks not at all (their
  // base and rate hold between the kernel's own updates).
  if (mode == TimeMode::follow_kernel)
    worker_.start(follow_interval_, [this] { write(source_->read()); });
  return {};
}

Error EmulatedTimeData::start_schedule(std::vector<TimeStep> steps) {
  if (Error e = check_time_schedule(steps, namespace_time_data_ && switch_namespace_); e) return e;
  std::lock_guard serialised(mode_change_);
  if (Error e = ensure_source(); e) return e;
  stop_and_reset();
  mode_.store(TimeMode::schedule);
  // The follow_kernel copy, with the steps that fell due applied first.
  // Each step counts as started before its change is made and as done once
  // it is on the page, so a reader that sees done = started = k around its
  // reads saw exactly the first k steps.  Steps due at 0 are applied here,
  // before this call returns.
  auto run = std::make_shared<TimeScheduleRun>(std::move(steps));
  const auto advance = [this, run] {
    const auto due = run->take_due();
    if (!due.empty()) steps_started_.store(run->taken());
    for (const TimeStep& step : due) apply(step.change);
    write(source_->read());
    if (!due.empty()) steps_done_.store(run->taken());
  };
  advance();
  worker_.start(follow_interval_, advance);
  return {};
}

// One step's change; the namespace ones are on the page at once, the others
// with the write that follows.  The script was checked, so none fails for
// its arguments.
void EmulatedTimeData::apply(const TimeChange& change) {
  std::visit(
      [this](const auto& step) {
        using Change = std::decay_t<decltype(step)>;
        if constexpr (std::is_same_v<Change, time_change::JumpRealtime>) {
          std::lock_guard lock(write_mutex_);
          realtime_offset_ += step.by;
        } else if constexpr (std::is_same_v<Change, time_change::ForceClockMode>) {
          std::lock_guard lock(write_mutex_);
          forced_clock_mode_ = step.clock_mode;
        } else if constexpr (std::is_same_v<Change, time_change::ReleaseClockMode>) {
          std::lock_guard lock(write_mutex_);
          forced_clock_mode_.reset();
        } else if constexpr (std::is_same_v<Change, time_change::NamespaceOffset>) {
          (void)set_namespace_offset(step.clock, step.sec, step.nsec);
        } else {
          // Remapping can only fail for want of memory; the step then leaves
          // the namespace as it was.
          (void)switch_namespace_(step.inside);
        }
      },
      change);
}

}  // namespace vdsoforge::detail

namespace vdsoforge {

std::string_view time_mode_name(TimeMode mode) {
  switch (mode) {
    case TimeMode::manual:
      return "manual";
    case TimeMode::follow_kernel:
      return "follow_kernel";
    case TimeMode::schedule:
      return "schedule";
  }
  return "unknown";
}

}  // namespace vdsoforge
