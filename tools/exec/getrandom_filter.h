// The seccomp filter behind `exec --count-syscalls`: SECCOMP_RET_TRACE for
// getrandom(2) of the x86-64 ABI, SECCOMP_RET_ALLOW for everything else, so
// only those calls stop the program (PTRACE_EVENT_SECCOMP) and every other
// system call runs untraced at full speed.
#pragma once

namespace vdsoforge::exec {

// Installs the filter on the calling thread (inherited by its children and
// kept across execve).  Sets no_new_privs only if the caller lacks
// CAP_SYS_ADMIN, as the kernel requires.  0, or an errno value.
// Async-signal-safe: it runs in a forked child before execve.
int install_getrandom_filter();

}  // namespace vdsoforge::exec
