#include "clock_offset.h"

#include <charconv>
#include <cstdint>
#include <string_view>

namespace vdsoforge::tools {

bool parse_clock_offset(const std::string& text, std::chrono::nanoseconds& out) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (error != std::errc{} || end == rest.data()) return false;
  const std::string_view unit(end, static_cast<size_t>(rest.data() + rest.size() - end));
  struct Unit {
    std::string_view name;
    uint64_t nanoseconds;
  };
  constexpr Unit kUnits[] = {{"ns", 1},
                             {"us", 1'000},
                             {"ms", 1'000'000},
                             {"s", 1'000'000'000},
                             {"m", 60'000'000'000},
                             {"h", 3'600'000'000'000},
                             {"d", 86'400'000'000'000}};
  constexpr uint64_t kLimit = 100 * 366 * uint64_t{86'400'000'000'000};  // about 100 years
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    if (value > kLimit / u.nanoseconds) return false;
    const auto magnitude = static_cast<int64_t>(value * u.nanoseconds);
    out = std::chrono::nanoseconds(negative ? -magnitude : magnitude);
    return true;
  }
  return false;
}

}  // namespace vdsoforge::tools
