// `vdsoforge exec --clock-offset`: a signed duration such as +1h, -90s,
// 1500ms or 2d, by which the program's realtime clocks are shifted.
#pragma once

#include <chrono>
#include <string>

namespace vdsoforge::tools {

// [+|-]DIGITS UNIT with UNIT one of ns, us, ms, s, m, h, d; false for
// anything else or a value beyond +-100 years.
bool parse_clock_offset(const std::string& text, std::chrono::nanoseconds& out);

}  // namespace vdsoforge::tools
