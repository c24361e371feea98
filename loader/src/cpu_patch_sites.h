// Applying an image's cpu-patches note (vdso_src/cpu_patches.h): rdtscp for
// "lfence; rdtsc" and rdpid for getcpu's lsl where the CPU has them, as the
// kernel's alternatives patch its own vDSO.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/error.h"

namespace vdsoforge::detail {

// Which kCpuPatch* features this CPU has.
uint32_t cpu_patch_features();

// Patches `text` (the image's PT_LOAD copy, `size` bytes, still writable) at
// every site whose feature is in `features`; `applied` counts them.  An image
// without the note is left alone.  Errc::bad_note for a malformed note or a
// site that does not hold the original bytes the note names.
Error apply_cpu_patches(const ElfImage& elf, uint8_t* text, size_t size, uint32_t features,
                        size_t& applied);

}  // namespace vdsoforge::detail
