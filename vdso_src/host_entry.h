// Host build of the image's algorithm, for unit tests that need no loader:
// vgetrandom against a data page the caller owns.
#pragma once

#include <stddef.h>

#include "vgetrandom_abi.h"

extern "C" long vdsoforge_host_vgetrandom(const vdsoforge::abi::VdsoRngData* rng, void* buffer,
                                          size_t len, unsigned flags, void* opaque_state,
                                          size_t opaque_len);
