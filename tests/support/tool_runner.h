// The one way tests run a program: the built vdsoforge tool or any other,
// as a child process (posix_spawn, no shell), capturing what it printed and
// how it exited, so tests check the command line users run.
#pragma once

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

// "check --exports a,b image.so" as its words, split at spaces: for tests
// that write a command line as one string (no quoting, no shell).
std::vector<std::string> words(std::string_view command_line);

}  // namespace test_support
