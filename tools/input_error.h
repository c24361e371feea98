// How every command reports an input file it cannot use, in one style:
//
//   vdsoforge <command>: [<which> ]PATH: <reason> (<code>)
//
// the path once, the reason without it, the code (errc_name, or not_a_vdso)
// last; <which> names a second input ("reference", "--debug-image").  Exit
// status 2 goes with it in every command (command.h).
#pragma once

#include <string>
#include <string_view>

#include "check/not_a_vdso.h"
#include "vdsoforge/error.h"

namespace vdsoforge::tools {

struct InputError {
  std::string code;    // errc_name(), or "not_a_vdso"
  std::string reason;  // without the path, in the command line's words
  std::string text(const std::string& path) const {
    return path + ": " + reason + " (" + code + ")";
  }
};

// Why the file at `path`, refused by the parser or the loader with
// `refusal`, cannot be used: "not a vDSO" with the evidence for a program or
// an ordinary library, else the refusal itself.
InputError refused_input(const std::string& path, const Error& refusal);
// The same for a file inspect_file() refused, with its evidence already found.
InputError refused_input(const std::string& path, RefusedInput refused);

// The loader's own words for an option (OpenOptions::time_namespace, ...)
// replaced with the command-line option that set it (--timens, ...).
std::string in_option_words(std::string message);

}  // namespace vdsoforge::tools
