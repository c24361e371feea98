// The seccomp filter through which `exec` hears of every execve in the tree:
// SECCOMP_RET_USER_NOTIF for execve and execveat (of every ABI, so a 32-bit
// program cannot exec around it) and, for --count-syscalls, for getrandom(2)
// and the time system calls (time_syscalls.h) of the x86-64 ABI;
// SECCOMP_RET_ALLOW for everything else.  The program is
// never stopped otherwise, so it runs untraced between its execve calls.
//
// Filters are inherited by children and kept across execve, so the one
// listener descriptor hears the whole tree.  A program blocked on a
// notification waits only for `exec` to answer (SECCOMP_USER_NOTIF_FLAG_CONTINUE:
// the kernel then runs the call itself).
#pragma once

#include <linux/filter.h>

#include <array>
#include <cstddef>

namespace vdsoforge::exec {

class ExecFilter {
 public:
  // Built in the parent: installing it happens between fork and execve,
  // where only async-signal-safe calls are allowed (no allocation).
  ExecFilter(bool notify_getrandom, bool notify_time);

  // Installs the filter on the calling thread; the listener descriptor, or
  // -errno.  Sets no_new_privs only if the caller lacks CAP_SYS_ADMIN, as
  // the kernel requires (and then setuid programs cannot gain privileges).
  // Async-signal-safe.
  int install() const;

 private:
  void add(sock_filter instruction);
  std::array<sock_filter, 40> program_{};
  size_t size_ = 0;
};

}  // namespace vdsoforge::exec
