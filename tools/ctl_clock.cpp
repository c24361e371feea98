#include "ctl_clock.h"

#include <chrono>

#include "clock_offset.h"

namespace vdsoforge::tools {

bool is_clock_command(const std::string& command) {
  return command == "clock-offset" || command == "clock-mode" || command == "clock";
}

std::optional<std::string> clock_control_line(const std::string& command, const std::string& value,
                                              std::string& error) {
  if (command == "clock-offset") {
    // The syntax of exec --clock-offset; exec is sent whole nanoseconds.
    std::chrono::nanoseconds offset{};
    if (parse_clock_offset(value, offset)) return "clock-offset " + std::to_string(offset.count());
    error = value.empty() ? "clock-offset needs a value, e.g. clock-offset +1h or -1500ms"
                          : "clock-offset: \"" + value +
                                "\" is not a signed duration such as +1h, -90s, 1500ms or 25ns";
    return std::nullopt;
  }
  if (command == "clock-mode") {
    if (value == "none" || value == "kernel") return "clock-mode " + value;
    error = value.empty() ? "clock-mode needs a value: none or kernel"
                          : "clock-mode takes none or kernel, not '" + value + "'";
    return std::nullopt;
  }
  if (!value.empty()) {
    error = command + " takes no value ('" + value + "' given)";
    return std::nullopt;
  }
  return command;
}

}  // namespace vdsoforge::tools
