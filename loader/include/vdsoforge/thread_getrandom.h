// getrandom(buf, len, flags) from a mapped image in one call, the way a libc
// uses the vDSO: each thread gets a state from the image's pool on its first
// call and gives it back when it exits.
//
// Errors as the vDSO function reports them: a negative errno return value.
#pragma once

#include <cstddef>

#include "vdsoforge/loader.h"

namespace vdsoforge {

// What the image's getrandom returns (bytes written or -errno), or -ENOSYS if
// the image has no getrandom that answers the parameter query and -ENOMEM if
// no state could be allocated.
long getrandom(LoadedImage& image, void* buffer, size_t len, unsigned flags);

// The pool behind getrandom(image, ...), created if needed, for observing
// state reuse; nullptr if the image has no usable getrandom.
const StateAllocator* thread_state_pool(LoadedImage& image);

}  // namespace vdsoforge
