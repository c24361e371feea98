// Errors of the loader library: a code to branch on and a message for people.
//
// A loader call fails for one of two kinds of reason: the image itself was
// refused (the ELF layer's Errc, vdsoforge/elf_error.h, passed through as
// the parser gave it) or the loader could not do its own part (LoaderErrc:
// mapping, the kernel's vDSO, a feature this kernel or CPU lacks).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "vdsoforge/elf_error.h"

namespace vdsoforge {

enum class LoaderErrc {
  map_failed,               // mmap/memfd failed
  kernel_vdso_unavailable,  // no AT_SYSINFO_EHDR, or /proc/self/maps does not show it
  not_supported,            // the kernel lacks a feature (MAP_DROPPABLE, vDSO getrandom)
  invalid_argument,
};

std::string_view errc_name(LoaderErrc code);

// An Errc or a LoaderErrc; compares equal to the one it holds, so callers
// write `err.code == Errc::truncated` or `err.code == LoaderErrc::map_failed`.
class ErrorCode {
 public:
  constexpr ErrorCode() = default;
  constexpr ErrorCode(Errc code) : code_(code) {}
  constexpr ErrorCode(LoaderErrc code) : code_(code) {}
  friend constexpr bool operator==(const ErrorCode&, const ErrorCode&) = default;
  friend std::string_view errc_name(const ErrorCode& code);

 private:
  std::variant<Errc, LoaderErrc> code_ = Errc::ok;
};

// The code's name as the tools print it: "truncated", "map_failed" ...
std::string_view errc_name(const ErrorCode& code);

struct Error {
  ErrorCode code;
  std::string message;  // names the field and file offset where it applies

  Error() = default;
  Error(ErrorCode error_code, std::string text) : code(error_code), message(std::move(text)) {}
  // An image the ELF layer refused: the refusal passes through unchanged.
  Error(ElfError refusal) : code(refusal.code), message(std::move(refusal.message)) {}

  explicit operator bool() const { return code != Errc::ok; }
};

}  // namespace vdsoforge
