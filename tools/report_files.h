// --junit FILE and --sarif FILE, shared by every command that produces a
// CheckRun (abi, check): the options themselves and writing the files.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "report/check.h"

namespace vdsoforge::tools::report {

struct ReportFiles {
  std::string junit;  // empty: not requested
  std::string sarif;

  void add_options(CLI::App& sub);
  // Writes every requested file.  Returns false, with `error` naming the file
  // and the OS reason, if one cannot be written.
  bool write(const CheckRun& run, std::string& error) const;
};

}  // namespace vdsoforge::tools::report
