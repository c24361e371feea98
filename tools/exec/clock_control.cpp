#include "clock_control.h"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace vdsoforge::exec {
namespace {

using namespace std::chrono_literals;

std::string clock_mode_name(int32_t mode) {
  switch (mode) {
    case abi::kClockModeNone:
      return "none";
    case abi::kClockModeTsc:
      return "tsc";
    case abi::kClockModePvclock:
      return "pvclock";
    case abi::kClockModeHvclock:
      return "hvclock";
  }
  return std::to_string(mode);
}

std::string clock_status(const DataPage& page) {
  const auto shown = page.time();
  return "ok clock_offset=" + std::to_string(page.realtime_offset().count()) +
         " clock_mode=" + clock_mode_name(shown->clocks[abi::kCsHresCoarse].clock_mode) +
         " time_mode=" + std::string(time_mode_name(page.time_mode()));
}

std::optional<int64_t> parse_nanoseconds(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string refused(const std::string& reason) { return "error: " + reason; }

}  // namespace

std::optional<std::string> answer_clock_command(const std::string& line, DataPage& page) {
  const std::string_view text = line;
  const bool offset = text.starts_with("clock-offset");
  const bool mode = text.starts_with("clock-mode");
  if (!offset && !mode && text != "clock") return std::nullopt;
  if (!page.has_time_data())
    return refused("the image has no emulated time data (it exports no __vdso_clock_gettime)");
  if (offset) {
    const auto ns =
        text.starts_with("clock-offset ") ? parse_nanoseconds(text.substr(13)) : std::nullopt;
    if (!ns) return refused("clock-offset takes a signed nanosecond count, not \"" + line + "\"");
    if (Error e = page.set_realtime_offset(std::chrono::nanoseconds(*ns)); e)
      return refused(e.message);
  } else if (mode) {
    Error e;
    if (text == "clock-mode none") {
      // A one-step schedule: the forced mode holds over every later copy of
      // the kernel's data, and it is on the page before the reply.
      e = page.set_time_schedule({{0ms, time_change::ForceClockMode{abi::kClockModeNone}}});
    } else if (text == "clock-mode kernel") {
      e = page.set_time_mode(TimeMode::follow_kernel);
    } else {
      return refused("clock-mode takes none or kernel, not \"" + line + "\"");
    }
    if (e) return refused(e.message);
  }
  return clock_status(page);
}

}  // namespace vdsoforge::exec
