// The running kernel's vDSO as this process sees it: where the kernel put it
// (AT_SYSINFO_EHDR), its bytes exactly as mapped, and the kernel's other
// special mappings around it, such as the [vvar] and [vvar_vclock] data pages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vdsoforge/error.h"

namespace vdsoforge {

struct KernelMapping {
  std::string name;  // "[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]" ...
  uintptr_t start = 0, end = 0;
  std::string permissions;  // as /proc/self/maps shows them, e.g. "r--p"
};

struct KernelVdso {
  uintptr_t base = 0;  // AT_SYSINFO_EHDR
  // The whole [vdso] mapping, in place.  Unlike the PT_LOAD it includes the
  // section headers, so it parses as a complete image; the kernel keeps it
  // mapped for the life of the process.
  std::span<const uint8_t> bytes;
  std::string permissions;  // the [vdso] mapping's
  // Every mapping the kernel names in brackets, [vdso] included, in address
  // order; not [heap], [stack] or named anonymous memory, which are the
  // process's own.
  std::vector<KernelMapping> mappings;
};

// Reads /proc/self/maps once.  nullopt with LoaderErrc::kernel_vdso_unavailable
// when the kernel gave no vDSO, /proc/self/maps cannot be read, or it shows
// no readable [vdso] mapping starting at AT_SYSINFO_EHDR.
std::optional<KernelVdso> find_kernel_vdso(Error& err);

// The same [vdso] mapping as bytes only: from AT_SYSINFO_EHDR to the end of
// the mapping, which (unlike the PT_LOAD) includes the section headers, so the
// result parses as a complete image.  Empty, with LoaderErrc::kernel_vdso_unavailable,
// when find_kernel_vdso() fails.
std::span<const uint8_t> kernel_vdso_bytes(Error& err);

}  // namespace vdsoforge
