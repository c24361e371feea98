// When the parser refuses a file, is it because the file is an ordinary
// program or library rather than a (broken) vDSO?  Then the useful message is
// "not a vDSO" with the evidence, not the first table the parser tripped on.
#pragma once

#include <optional>
#include <string>

#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

// Reads the ELF file at `path` (64-bit little endian only) and, if it is a
// program or an ordinary shared library, says so with the evidence: "/bin/ls
// is not a vDSO: 13 program headers, 4 loadable segments (a vDSO has one),
// PT_INTERP /lib64/ld-linux-x86-64.so.2, DT_NEEDED libselinux.so.1 libc.so.6".
// nullopt if nothing points that way (or the file cannot be read).
std::optional<std::string> not_a_vdso_message(const std::string& path);

// The error code the commands report with that message.
inline constexpr const char* kNotAVdsoCode = "not_a_vdso";

// Why a command could not use the file at `path` that the parser (or the
// loader) refused: the not-a-vDSO evidence when there is some, else
// `refusal` (its errc_name() and message) as given.
struct RefusedInput {
  std::string code, message;
};
RefusedInput why_refused(const std::string& path, RefusedInput refusal);

// Reads the file at `path` as `abi` and `check` do: in inspect mode, so a
// broken rule is a finding, not a refusal.  A position-independent program
// (PT_INTERP and DF_1_PIE) is refused with the not-a-vDSO evidence even when
// its tables read within bounds; a file the parser refuses, as why_refused()
// says.
std::optional<ElfImage> inspect_file(const std::string& path, RefusedInput& refused);

}  // namespace vdsoforge::tools
