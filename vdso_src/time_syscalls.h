// The system calls the time functions fall back to, issued directly: the
// image links no libc.  Each returns what the kernel returns (0 or a negative
// errno; time(2) the seconds).
#pragma once

#include "vdso_time_abi.h"

namespace vdsoforge::image {

// The kernel clobbers rcx (return rip) and r11 (rflags); "memory" because it
// writes through the pointers.
[[gnu::always_inline]] inline long syscall2(long number, long a, long b) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "0"(number), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return ret;
}

[[gnu::always_inline]] inline long syscall3(long number, long a, long b, long c) {
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(number), "D"(a), "S"(b), "d"(c)
               : "rcx", "r11", "memory");
  return ret;
}

[[gnu::always_inline]] inline long clock_gettime_syscall(int clock, abi::KernelTimespec* ts) {
  return syscall2(abi::kSysClockGettime, clock, reinterpret_cast<long>(ts));
}

[[gnu::always_inline]] inline long clock_getres_syscall(int clock, abi::KernelTimespec* res) {
  return syscall2(abi::kSysClockGetres, clock, reinterpret_cast<long>(res));
}

[[gnu::always_inline]] inline long gettimeofday_syscall(abi::KernelTimeval* tv,
                                                        abi::KernelTimezone* tz) {
  return syscall2(abi::kSysGettimeofday, reinterpret_cast<long>(tv), reinterpret_cast<long>(tz));
}

}  // namespace vdsoforge::image
