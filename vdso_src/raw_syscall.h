// The one system call the image makes, issued directly: the image links no libc.
#pragma once

#include <stddef.h>

#include "vgetrandom_abi.h"

namespace vdsoforge::image {

// getrandom(2).  Returns the byte count or a negative errno, as the kernel does.
[[gnu::always_inline]] inline long getrandom_syscall(void* buffer, size_t len, unsigned flags) {
  long ret;
  // The kernel clobbers rcx (return rip) and r11 (rflags); "memory" because it
  // writes the buffer.
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(abi::kSysGetrandom), "D"(buffer), "S"(len), "d"(flags)
               : "rcx", "r11", "memory");
  return ret;
}

}  // namespace vdsoforge::image
