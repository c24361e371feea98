// The x86-64 system calls a vDSO's time functions stand in for, and how many
// of each a traced tree made.  With --count-syscalls `exec` counts them (a
// seccomp user notification on each, like getrandom's), so a test can tell
// from outside whether a program read its clock through the image or fell
// back to the kernel: each fallback is one such call.
#pragma once

#include <array>
#include <cstdint>

namespace vdsoforge::exec {

struct TimeSyscall {
  unsigned nr;       // arch/x86/entry/syscalls/syscall_64.tbl
  const char* name;  // the vDSO function that saves it: __vdso_<name>
};

inline constexpr std::array<TimeSyscall, 5> kTimeSyscalls = {{
    {228, "clock_gettime"},
    {96, "gettimeofday"},
    {201, "time"},
    {229, "clock_getres"},
    {309, "getcpu"},
}};

// One count per kTimeSyscalls entry, in the same order.
using TimeSyscallCounts = std::array<uint64_t, kTimeSyscalls.size()>;

}  // namespace vdsoforge::exec
