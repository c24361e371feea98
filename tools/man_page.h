// vdsoforge(1), generated from the CLI11 definitions of every registered
// command, so a new command or option is in the man page as soon as it is in
// the tool.  `vdsoforge --generate-man-page` prints it (the build writes
// vdsoforge.1 that way); the sections no option describes (exit status,
// files) are written here.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace vdsoforge::tools {

// roff (man macros) for `app`, whose subcommands are the tool's commands.
std::string man_page(const CLI::App& app);

// Text as roff prints it literally: backslashes, hyphens (so options
// survive copy and paste), and a leading '.' or '\''.
std::string roff_escaped(const std::string& text);

}  // namespace vdsoforge::tools
