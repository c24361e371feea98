// `vdsoforge ctl SOCKET clock-offset OFFSET | clock-mode none|kernel | clock`:
// the clock commands of ctl, checked on the client side like the others
// before anything is sent (the server side is tools/exec/clock_control.h).
#pragma once

#include <optional>
#include <string>

namespace vdsoforge::tools {

inline constexpr const char* kClockCommands =
    "clock-offset OFFSET | clock-mode none|kernel | clock";

bool is_clock_command(const std::string& command);
// The line to send for a clock command, or nullopt with `error` set.
std::optional<std::string> clock_control_line(const std::string& command, const std::string& value,
                                              std::string& error);

}  // namespace vdsoforge::tools
