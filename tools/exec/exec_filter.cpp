#include "exec_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "time_syscalls.h"

namespace vdsoforge::exec {

namespace {

// System call numbers per ABI (arch/x86/entry/syscalls/syscall_{32,64}.tbl):
// x32 calls are the x86-64 audit architecture with bit 30 set in the number.
constexpr unsigned kX32Bit = 0x40000000;
constexpr unsigned kExecve64 = 59, kExecveat64 = 322, kGetrandom64 = 318;
constexpr unsigned kExecveX32 = 520 | kX32Bit, kExecveatX32 = 545 | kX32Bit;
constexpr unsigned kExecve32 = 11, kExecveat32 = 358;

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

}  // namespace

void ExecFilter::add(sock_filter instruction) { program_[size_++] = instruction; }

ExecFilter::ExecFilter(bool notify_getrandom, bool notify_time) {
  const auto notify_on = [this](const std::vector<unsigned>& numbers) {
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    for (unsigned nr : numbers) {
      add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
      add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    }
    add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  };
  // x86-64 (and x32): skip the block when the architecture differs.
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  const size_t jump64 = size_;
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0));
  std::vector<unsigned> numbers64 = {kExecve64, kExecveat64, kExecveX32, kExecveatX32};
  if (notify_getrandom) numbers64.push_back(kGetrandom64);
  if (notify_time)
    for (const TimeSyscall& call : kTimeSyscalls) numbers64.push_back(call.nr);
  notify_on(numbers64);
  program_[jump64].jf = static_cast<__u8>(size_ - jump64 - 1);
  // i386: the accumulator still holds the architecture here.
  const size_t jump32 = size_;
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 0));
  notify_on({kExecve32, kExecveat32});
  program_[jump32].jf = static_cast<__u8>(size_ - jump32 - 1);
  add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));  // any other architecture
}

int ExecFilter::install() const {
  sock_fprog filter = {static_cast<unsigned short>(size_),
                       const_cast<sock_filter*>(program_.data())};
  // Once exec has read a notification, only a fatal signal may abandon the
  // wait: a signal arriving meanwhile is delivered after the answer, so the
  // answer is never lost (Linux 5.19+; older kernels take the plain flag).
  for (const unsigned long flags :
       {SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        static_cast<unsigned long>(SECCOMP_FILTER_FLAG_NEW_LISTENER)}) {
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &filter);
    if (fd < 0 && errno == EACCES) {
      // Without CAP_SYS_ADMIN the kernel wants no_new_privs first.
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
      fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &filter);
    }
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EINVAL) return -errno;
  }
  return -EINVAL;
}

}  // namespace vdsoforge::exec
