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
  using namespace vdsoforge::image;
  if constexpr (!kTimensIndirection) {
    return reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(
        reinterpret_cast<uintptr_t>(__ehdr_start) - kDataAreaSize + kRngDataOffset);
  } else {
    // Kernels before 6.15, inside a time namespace, map the namespace's page
    // at the vvar slot and the real vvar page (rng data included) at the
    // timens slot.  The namespace's page says so in the clock mode of its
    // first time-data entry; then the rng data is read through the timens
    // slot, at the same offset in that page.
    //
    // Written out because its shape matters twice: the clock mode is read
    // exactly once, on entry, as the kernel reads it, so one call never
    // mixes the two pages; and both rng addresses are taken and one chosen
    // by a conditional move, the kernel's own shape, from which
    // detect_data_layout() tells 6.11 from 6.13 (plain C++ lets the compiler
    // rebuild the choice from the image base at every use instead).
    uintptr_t rng, through_timens_page;
    asm volatile(
        "leaq __ehdr_start-%c[home](%%rip), %[rng]\n\t"
        "leaq __ehdr_start-%c[away](%%rip), %[away_reg]\n\t"
        "cmpl %[timens], __ehdr_start-%c[clock_mode](%%rip)\n\t"
        "cmoveq %[away_reg], %[rng]"
        : [rng] "=r"(rng), [away_reg] "=r"(through_timens_page)
        : [home] "i"(kDataAreaSize - kRngDataOffset),
          [away] "i"(kDataAreaSize - kRngDataOffset - (kTimensPageOffset - kVvarPageOffset)),
          [clock_mode] "i"(kDataAreaSize - kClockModeOffset),
          [timens] "i"(vdsoforge::layout::kClockModeTimens)
        : "cc");
    return reinterpret_cast<const vdsoforge::abi::VdsoRngData*>(rng);
  }
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
