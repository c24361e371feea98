// The vgetrandom_alloc() system call of the patch series before Linux 6.11
// (which later moved state allocation into libc), emulated in user space for
// code written against it.
//
// Errors as that system call reported them: -1 (or nullptr) and errno.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vdsoforge/loader.h"

namespace vdsoforge {

struct VgetrandomAllocArgs {
  uint64_t flags;            // must be 0
  uint64_t num;              // in: states wanted; out: states allocated (whole pages)
  uint64_t size_per_each;    // out
  uint64_t bytes_allocated;  // out
};

// Returns the base of the states, or nullptr with errno set (EINVAL for bad
// args_len/flags/num, ENOMEM when mapping fails).  States are packed so none
// straddles a page.
void* vgetrandom_alloc(GetrandomFn getrandom, VgetrandomAllocArgs* args, size_t args_len);
// Unmaps what vgetrandom_alloc returned; 0 or -1 with errno.
int vgetrandom_free(void* base, size_t bytes_allocated);

}  // namespace vdsoforge
