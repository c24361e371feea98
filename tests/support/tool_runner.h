// The one way tests run a program: the built vdsoforge tool or any other,
// as a child process (posix_spawn, no shell), capturing what it printed and
// how it exited, so tests check the command line users run.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace test_support {

struct ToolResult {
  int exit_code = -1;  // -1: did not exit normally (killed by a signal)
  std::string out, err;
};

// The built tool (VDSOFORGE_TOOL) with these arguments.
ToolResult run_tool(const std::vector<std::string>& args);

// Any program, argv[0] being its path (or a name searched in PATH).
ToolResult run_program(const std::vector<std::string>& argv);

// The built tool started in the background, with its stdout on a pipe, for
// tests that act on it while it runs (signals, job control); the caller
// closes `out` and waits for `pid`.
struct RunningTool {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout
};
// With `own_process_group`, in a process group of its own (pid = group).
RunningTool start_tool(const std::vector<std::string>& args, bool own_process_group = false);

// What `fd` gives up to the first newline (left out), or "" if no whole
// line comes within `timeout_ms`.
std::string read_line(int fd, int timeout_ms);

// "check --exports a,b image.so" as its words, split at spaces: for tests
// that write a command line as one string (no quoting, no shell).
std::vector<std::string> words(std::string_view command_line);

}  // namespace test_support
