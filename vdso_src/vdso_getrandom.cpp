// The image's exported getrandom: the generic algorithm bound to the data page
// that lies at a fixed distance below the image.
#include <stddef.h>

#include "data_layout.h"
#include "vgetrandom.h"

// Provided by the linker at the image's first byte (its ELF header).  Hidden,
// so the reference is PC-relative and needs no relocation.
extern "C" [[gnu::visibility("hidden")]] const char __ehdr_start[];

namespace {

[[gnu::always_inline]] inline const vdsoforge::abi::VdsoRngData* rng_data() {
  const uintptr_t image_base = reinterpret_cast<uintptr_t>(__ehdr_start);
  return reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(
      image_base - vdsoforge::image::kDataAreaSize + vdsoforge::image::kRngDataOffset);
}

}  // namespace

extern "C" [[gnu::visibility("default")]] long __vdso_getrandom(void* buffer, size_t len,
                                                               unsigned flags, void* opaque_state,
                                                               size_t opaque_len) {
  return vdsoforge::image::vgetrandom(rng_data(), buffer, len, flags, opaque_state, opaque_len);
}

// The plain name, weak like the kernel's, at the same address.
extern "C" [[gnu::visibility("default")]] long getrandom(void*, size_t, unsigned, void*, size_t)
    __attribute__((weak, alias("__vdso_getrandom")));
