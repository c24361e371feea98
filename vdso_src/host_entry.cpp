#include "host_entry.h"

#include "vgetrandom.h"

extern "C" long vdsoforge_host_vgetrandom(const vdsoforge::abi::VdsoRngData* rng, void* buffer,
                                          size_t len, unsigned flags, void* opaque_state,
                                          size_t opaque_len) {
  return vdsoforge::image::vgetrandom(rng, buffer, len, flags, opaque_state, opaque_len);
}
