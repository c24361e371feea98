#include "fault_injector.h"

#include <algorithm>
#include <chrono>

#include "droppable_pages.h"

namespace vdsoforge::exec {

FaultInjector::FaultInjector(FaultScenario scenario, DataPage& page, DataPageDriver& driver,
                             FaultLog& log, pid_t tree_root)
    : scenario_(std::move(scenario)),
      page_(page),
      driver_(driver),
      log_(log),
      tree_root_(tree_root),
      fired_(scenario_.rules.size(), 0) {}

FaultInjector::~FaultInjector() { stop(); }

void FaultInjector::stop() {
  {
    std::lock_guard lock(timer_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void FaultInjector::start() {
  const bool timed = std::any_of(scenario_.rules.begin(), scenario_.rules.end(), [](auto& r) {
    return r.trigger == FaultTrigger::at_time || r.trigger == FaultTrigger::every_time;
  });
  if (timed) timer_ = std::thread([this] { run_time_rules(); });
}

void FaultInjector::run_time_rules() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point begin = Clock::now();
  // Next firing per time rule; time_point::max() once it is done.
  std::vector<Clock::time_point> next(scenario_.rules.size(), Clock::time_point::max());
  for (size_t i = 0; i < scenario_.rules.size(); ++i) {
    const FaultRule& rule = scenario_.rules[i];
    if (rule.trigger == FaultTrigger::at_time || rule.trigger == FaultTrigger::every_time)
      next[i] = begin + rule.time;
  }
  std::unique_lock lock(timer_mutex_);
  for (;;) {
    const auto soonest = std::min_element(next.begin(), next.end());
    if (*soonest == Clock::time_point::max()) return;
    if (wake_.wait_until(lock, *soonest, [this] { return stop_; })) return;
    const size_t i = static_cast<size_t>(soonest - next.begin());
    const FaultRule& rule = scenario_.rules[i];
    lock.unlock();
    apply(rule.action, "scenario line " + std::to_string(rule.line) + ": " + rule.text, rule.file);
    lock.lock();
    ++fired_[i];
    if (rule.trigger == FaultTrigger::at_time || (rule.times && fired_[i] >= rule.times)) {
      next[i] = Clock::time_point::max();
    } else {
      next[i] += rule.time;
      // Behind by more than a period (a busy machine): no burst to catch up.
      if (const auto now = Clock::now(); next[i] < now) next[i] = now + rule.time;
    }
  }
}

void FaultInjector::on_getrandom_syscall() {
  log_.count_getrandom_syscall();
  const uint64_t seen = log_.getrandom_syscalls();
  for (size_t i = 0; i < scenario_.rules.size(); ++i) {
    const FaultRule& rule = scenario_.rules[i];
    const bool due = (rule.trigger == FaultTrigger::after_syscalls && seen == rule.count) ||
                     (rule.trigger == FaultTrigger::every_syscalls && seen % rule.count == 0 &&
                      (rule.times == 0 || fired_[i] < rule.times));
    if (!due) continue;
    ++fired_[i];  // only this (the supervisor's) thread touches call-count rules
    apply(rule.action, "scenario line " + std::to_string(rule.line) + ": " + rule.text, rule.file);
  }
}

FaultInjector::Outcome FaultInjector::apply(FaultAction action, const std::string& source,
                                            const std::string& file) {
  std::lock_guard lock(action_mutex_);
  FaultEvent event;
  bool failed = false;
  switch (action) {
    case FaultAction::bump:
      driver_.reseed();
      break;
    case FaultAction::ready_off:
      page_.set_ready(false);
      break;
    case FaultAction::ready_on:
      page_.set_ready(true);
      break;
    case FaultAction::ready_toggle:
      page_.set_ready(!page_.is_ready());
      break;
    case FaultAction::wipe: {
      const DroppedPages dropped = drop_droppable_pages(tree_root_);
      event.detail = dropped.describe();
      event.numbers = {{"processes", dropped.processes},
                       {"mappings", dropped.mappings},
                       {"resident_before", dropped.resident_before},
                       {"resident_after", dropped.resident_after},
                       {"errors", dropped.errors.size()}};
      break;
    }
    case FaultAction::snapshot:
    case FaultAction::restore: {
      const bool take = action == FaultAction::snapshot;
      std::string generation_note;
      StateSnapshot::Counts counts;
      if (file.empty())
        counts = take ? snapshot_.take(tree_root_) : snapshot_.restore();
      else if (take)
        counts = snapshot_.save_to(tree_root_, file, page_.generation());
      else
        counts = snapshot_.restore_from(tree_root_, file, page_.generation(), generation_note);
      event.file = file;
      event.detail = counts.describe(take ? "saved" : "restored");
      if (!generation_note.empty()) event.detail += "; " + generation_note;
      // Through a file the user waits for the result (ctl exits 2); in
      // memory, a process gone since the snapshot is expected and listed.
      failed = counts.refused || (!file.empty() && !counts.errors.empty());
      event.numbers = {{"processes", counts.processes},
                       {"mappings", counts.mappings},
                       {"bytes", counts.bytes},
                       {"errors", counts.errors.size()}};
      break;
    }
  }
  event.action = fault_action_name(action);
  event.source = source;
  event.generation = page_.generation();
  event.ready = page_.is_ready();
  Outcome outcome{event.detail, failed};
  log_.record(std::move(event));
  return outcome;
}

}  // namespace vdsoforge::exec
