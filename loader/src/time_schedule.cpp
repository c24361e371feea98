#include "time_schedule.h"

#include <string>
#include <type_traits>

#include "vdsoforge/vdso_time_abi.h"

namespace vdsoforge::detail {
namespace {

std::string step_name(size_t index) { return "time schedule step " + std::to_string(index); }

}  // namespace

Error check_time_schedule(std::span<const TimeStep> steps, bool has_time_namespace) {
  std::chrono::milliseconds previous{0};
  for (size_t i = 0; i < steps.size(); ++i) {
    const TimeStep& step = steps[i];
    if (step.at < previous)
      return {LoaderErrc::invalid_argument,
              step_name(i) + " is due at " + std::to_string(step.at.count()) + " ms, before " +
                  (i == 0 ? std::string("the start (0 ms)")
                          : "step " + std::to_string(i - 1) + " (" +
                                std::to_string(previous.count()) + " ms)") +
                  ": a schedule's steps are in order of time"};
    previous = step.at;
    Error problem = std::visit(
        [&](const auto& change) -> Error {
          using Change = std::decay_t<decltype(change)>;
          constexpr bool is_namespace_step = std::is_same_v<Change, time_change::NamespaceOffset> ||
                                             std::is_same_v<Change, time_change::TimeNamespace>;
          if (is_namespace_step && !has_time_namespace)
            return {LoaderErrc::not_supported,
                    step_name(i) +
                        " changes the time namespace, which this image's data layout does not "
                        "emulate"};
          if constexpr (std::is_same_v<Change, time_change::NamespaceOffset>) {
            if (change.clock < 0 || static_cast<unsigned>(change.clock) >= abi::kVdsoBases ||
                change.nsec >= abi::kNsecPerSec)
              return {LoaderErrc::invalid_argument,
                      step_name(i) + ": clock " + std::to_string(change.clock) +
                          " is no vDSO clock id (0-11) or nsec " + std::to_string(change.nsec) +
                          " is not below one second"};
          }
          return {};
        },
        step.change);
    if (problem) return problem;
  }
  return {};
}

TimeScheduleRun::TimeScheduleRun(std::vector<TimeStep> steps)
    : steps_(std::move(steps)), start_(std::chrono::steady_clock::now()) {}

std::span<const TimeStep> TimeScheduleRun::take_due() {
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  const size_t first = next_;
  while (next_ < steps_.size() && steps_[next_].at <= elapsed) ++next_;
  return std::span<const TimeStep>(steps_).subspan(first, next_ - first);
}

}  // namespace vdsoforge::detail
