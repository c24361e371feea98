// vdsoforge ctl SOCKET reseed | ready 0|1 | wipe | snapshot [--to FILE] |
//                      restore [--from FILE] | status |
//                      clock-offset OFFSET | clock-mode none|kernel | clock
//
// Drives a running `vdsoforge exec --control SOCKET`: forces a reseed, sets
// the RNG-ready flag, drops, saves or restores the program's MAP_DROPPABLE
// state pages (to and from a file: a clone of the states into another run),
// asks for the data page's state, or shifts the program's clocks
// (ctl_clock.h).  Prints the reply.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "command.h"
#include "control_server.h"
#include "ctl_clock.h"

namespace vdsoforge::tools {
namespace {

const std::string kCommands =
    std::string(
        "reseed | ready 0|1 | wipe | snapshot [--to FILE] | restore [--from FILE] | status | ") +
    kClockCommands;

struct CtlOptions {
  std::string socket;
  std::string command;
  std::string value;  // ready's 0 or 1
  std::string to;     // snapshot --to FILE
  std::string from;   // restore --from FILE
};

// PATH_MAX: exec reads command lines of a path and a little more.
constexpr size_t kMaxFileName = 4096;

// FILE as exec must get it: absolute (exec's working directory is not ours),
// on one line.
std::optional<std::string> snapshot_file(const std::string& file, std::string& error) {
  if (file.find('\n') != std::string::npos) {
    error = "the snapshot file name holds a newline";
    return std::nullopt;
  }
  std::error_code failed;
  const std::filesystem::path absolute = std::filesystem::absolute(file, failed);
  if (failed) {
    error = "cannot resolve '" + file + "': " + failed.message();
    return std::nullopt;
  }
  std::string name = absolute.lexically_normal().string();
  if (name.size() > kMaxFileName) {
    error = "the snapshot file name is longer than " + std::to_string(kMaxFileName) + " bytes";
    return std::nullopt;
  }
  return name;
}

// The line sent to exec, or nullopt with `error` set: checked here so a
// mistake is reported like every other usage error, before anything is sent.
std::optional<std::string> control_line(const CtlOptions& options, std::string& error) {
  if ((!options.to.empty() || !options.from.empty()) && options.command != "snapshot" &&
      options.command != "restore") {
    error = "--to and --from go with snapshot and restore only";
    return std::nullopt;
  }
  if (is_clock_command(options.command))
    return clock_control_line(options.command, options.value, error);
  if (options.command == "ready") {
    if (options.value == "0" || options.value == "1") return "ready " + options.value;
    error = options.value.empty() ? "ready needs a value: ready 0 or ready 1"
                                  : "ready takes 0 or 1, not '" + options.value + "'";
    return std::nullopt;
  }
  if (options.command != "reseed" && options.command != "status" && options.command != "wipe" &&
      options.command != "snapshot" && options.command != "restore") {
    error = "unknown command '" + options.command + "' (" + kCommands + ")";
    return std::nullopt;
  }
  if (!options.value.empty()) {
    error = options.command + " takes no value ('" + options.value + "' given)";
    return std::nullopt;
  }
  if (!options.to.empty() && options.command != "snapshot") {
    error = "--to FILE goes with snapshot only";
    return std::nullopt;
  }
  if (!options.from.empty() && options.command != "restore") {
    error = "--from FILE goes with restore only";
    return std::nullopt;
  }
  const std::string& file = options.command == "snapshot" ? options.to : options.from;
  if (!file.empty()) {
    const auto absolute = snapshot_file(file, error);
    if (!absolute) return std::nullopt;
    return options.command + (options.command == "snapshot" ? " --to " : " --from ") + *absolute;
  }
  return options.command;
}

int run(const CtlOptions& options) {
  std::string error;
  const auto line = control_line(options, error);
  if (!line) {
    std::fprintf(stderr, "vdsoforge ctl: %s\nRun 'vdsoforge ctl --help' for more information.\n",
                 error.c_str());
    return 2;
  }
  std::string reply;
  if (!exec::send_control_command(options.socket, *line, reply, error)) {
    std::fprintf(stderr, "vdsoforge ctl: %s\n", error.c_str());
    return 1;
  }
  if (!reply.starts_with("ok")) {
    std::fprintf(stderr, "vdsoforge ctl: exec refused '%s': %s\n", line->c_str(), reply.c_str());
    return 2;
  }
  std::printf("%s\n", reply.c_str());
  return 0;
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<CtlOptions>();
      sub.footer(
          "Prints exec's reply (\"ok generation=N ready=0|1 reseeds=N\"; for the clock\n"
          "commands \"ok clock_offset=NS clock_mode=M time_mode=T\") on stdout.\n"
          "clock-offset OFFSET sets the program's realtime offset (REALTIME, its coarse\n"
          "twin, TAI, gettimeofday, time) to OFFSET, as exec --clock-offset does at the\n"
          "start (+1h, -90s, 1500ms, 25ns); clock-mode none makes every counter-clock\n"
          "read of the program a system call, clock-mode kernel returns to the kernel's\n"
          "clock mode; clock shows the clock state.\n"
          "snapshot --to FILE saves the program's state pages to FILE (mode 0600: it holds\n"
          "their keys); restore --from FILE writes them into another run of the same program\n"
          "(matched by process order, mapping order and size; refused if they differ).\n"
          "Exit status: 0 done, 1 no exec listening on SOCKET, 2 bad arguments or a command\n"
          "exec refused.\n");
      sub.add_option("socket", options->socket, "the socket given to exec --control")
          ->required()
          ->type_name("SOCKET");
      sub.add_option("command", options->command, std::string("what to do: ") + kCommands)
          ->required()
          ->type_name("COMMAND");
      sub.add_option("--to", options->to,
                     "snapshot: save the states to FILE (a clone's first half)")
          ->type_name("FILE");
      sub.add_option("--from", options->from,
                     "restore: the states saved by snapshot --to FILE, from another run")
          ->type_name("FILE");
      sub.add_option("value", options->value,
                     "ready's 1 or 0, clock-offset's OFFSET, clock-mode's none or kernel")
          ->type_name("VALUE");
      return [options] { return run(*options); };
    },
    "ctl",
    "control a running `vdsoforge exec --control SOCKET` (reseed, ready 0|1, wipe, snapshot, "
    "restore, status, clocks)"}};

}  // namespace
}  // namespace vdsoforge::tools
