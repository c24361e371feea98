// Putting a forged vDSO into a process stopped right after execve: map its
// data area (or, with --kernel-data, move the program's own kernel data pages
// there) and text the way the loader maps them, advertise it in
// AT_SYSINFO_EHDR (on the initial stack and in the kernel's saved copy behind
// /proc/PID/auxv), and optionally remove the kernel's own vDSO.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "saved_auxv.h"
#include "syscall_injector.h"

namespace vdsoforge::exec {

// What every exec'd program gets.  The descriptors belong to the vdsoforge
// process; the tracee opens them through /proc/<owner>/fd/<n>, so the data
// pages it maps are the very pages vdsoforge writes.
struct ForgedVdso {
  pid_t owner = 0;
  int data_fd = -1;      // sealed memfd, data_size bytes
  size_t data_size = 0;  // whole pages, mapped read-only directly below the text
  int text_fd = -1;      // sealed memfd holding the image's PT_LOAD, text_size bytes
  size_t text_size = 0;  // whole pages, mapped read+execute (never writable)
  bool hide_kernel_vdso = false;
  // --kernel-data: instead of mapping data_fd, move the program's own
  // [vvar] and [vvar_vclock] below the text and unmap its [vdso]
  // (kernel_data_pages.h); data_size is then the kernel's data pages' span.
  bool kernel_data = false;
};

struct Installed {
  uintptr_t base = 0;         // the image's ELF header in the tracee
  uintptr_t kernel_vdso = 0;  // what AT_SYSINFO_EHDR said before
  bool kernel_vdso_unmapped = false;
  SavedAuxvResult saved_auxv;  // whether /proc/PID/auxv names the image too
};

// The injector must have begun at the tracee's first stop after execve.
bool install_forged_vdso(SyscallInjector& injector, pid_t pid, const ForgedVdso& vdso,
                         Installed& installed, std::string& error);

}  // namespace vdsoforge::exec
