// The kernel's special mappings in another process, as its /proc/PID/maps
// names them: [vdso] and its data pages ([vvar], [vvar_vclock], ...).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdsoforge::exec {

struct KernelRange {
  uintptr_t start, end;
  std::string name;  // "[vdso]", "[vvar]", "[vvar_vclock]"
};

// [vdso] and every [vvar...] mapping of process `pid`, in address order;
// empty if its maps cannot be read.
std::vector<KernelRange> kernel_vdso_mappings(pid_t pid);

}  // namespace vdsoforge::exec
