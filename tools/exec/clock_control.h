// The clock commands of exec's control channel (`vdsoforge ctl SOCKET
// clock-offset|clock-mode|clock`): they change the emulated time data the
// program reads through the image, live.
//
//   clock-offset NS      -> sets the realtime offset to NS nanoseconds (signed)
//   clock-mode none      -> the records show VDSO_CLOCKMODE_NONE: every
//                           counter-clock read becomes a system call
//   clock-mode kernel    -> back to the kernel's own clock mode
//   clock                -> the state only
// each answered "ok clock_offset=NS clock_mode=M time_mode=T".
#pragma once

#include <optional>
#include <string>

#include "vdsoforge/loader.h"

namespace vdsoforge::exec {

// The reply to `line` if it is a clock command (an "error: ..." line if it
// cannot be done), nullopt if it is none.
std::optional<std::string> answer_clock_command(const std::string& line, DataPage& page);

}  // namespace vdsoforge::exec
