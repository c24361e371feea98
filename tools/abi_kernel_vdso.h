// The running kernel's vDSO as this process sees it: its bytes exactly as
// mapped (found through AT_SYSINFO_EHDR, sized by its [vdso] mapping) and the
// kernel's other special mappings around it ([vvar], [vvar_vclock] ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdsoforge::tools {

struct SpecialMapping {
  std::string name;         // "[vvar]", "[vvar_vclock]", "[vdso]" ...
  uintptr_t start = 0, end = 0;
  std::string permissions;  // as in /proc/self/maps, e.g. "r--p"
};

struct KernelVdso {
  uintptr_t base = 0;                     // AT_SYSINFO_EHDR
  std::vector<uint8_t> bytes;             // the whole [vdso] mapping
  std::vector<SpecialMapping> mappings;   // every "[...]" mapping of the kernel's, by address
};

// nullopt with `error` set when the kernel gave no vDSO or /proc/self/maps
// cannot be read or does not show it.
std::optional<KernelVdso> read_kernel_vdso(std::string& error);

}  // namespace vdsoforge::tools
