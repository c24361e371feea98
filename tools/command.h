// Subcommand registry of the vdsoforge tool.
//
// A subcommand is one file: it defines a Command with a setup function that
// adds its CLI11 subcommand and options, and a run function that returns the
// exit status.  A static CommandRegistration puts it in the list main() reads.
//
// Conventions every command keeps (tests/tools/test_abi_messages.cpp and
// test_input_errors.cpp check them for every command `vdsoforge --help` lists):
// - every line written to stderr starts with "vdsoforge <name>: ";
// - an input file the command cannot use is reported in one style,
//   "PATH: reason (code)" (input_error.h), with the OS reason (strerror) for
//   a file that cannot be opened, and in the tool's words (--timens, not the
//   loader's OpenOptions::time_namespace);
// - exit status 2 for a usage error or an input that cannot be read or used,
//   1 for a command that ran and says no (abi: incompatible, check: a rule
//   broken, run: getrandom failed, ctl: no exec listening), 0 otherwise;
//   exec exits with its program's status;
// - the man page vdsoforge(1) is generated from these CLI11 definitions
//   (man_page.cpp): give every option a description, and the subcommand a
//   footer with its exit statuses; the man_page test fails for any command
//   or option `--help` lists that the page lacks.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace vdsoforge::tools {

struct Command {
  // Called once with the subcommand CLI11 created; returns the function that
  // runs it after parsing (its return value is the process exit status).
  std::function<std::function<int()>(CLI::App& sub)> setup;
  const char* name;
  const char* summary;
};

std::vector<Command>& command_registry();

// For a command that runs another program (CLI11 prefix_command: `exec`):
// that program's command line, split off by main() before CLI11 parses the
// command's own options.
std::vector<std::string>& program_command_line();

struct CommandRegistration {
  explicit CommandRegistration(Command command) {
    command_registry().push_back(std::move(command));
  }
};

}  // namespace vdsoforge::tools
