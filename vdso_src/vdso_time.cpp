// The image's exported time functions (the kernel's x86-64 set besides
// getrandom): the algorithm of vdso_time.h bound to the time data that lies
// at a fixed distance below the image, where this image's data layout puts it.
#include "vdso_time.h"

#include <stdint.h>

#include "data_layout.h"
#include "time_layout.h"

// Provided by the linker at the image's first byte (its ELF header).  Hidden,
// so the references are PC-relative and need no relocation.
extern "C" [[gnu::visibility("hidden")]] const char __ehdr_start[];

// The cpu-patches note (cpu_patches.h): its header opens subsection 0, the
// records the inlined reads of cpu_counters.h emit fill subsection 1, and the
// end label in subsection 2 closes it, so the assembler computes descsz.
asm(".pushsection .note.vdsoforge.cpu_patches, \"a\", @note\n\t"
    ".subsection 0\n\t"
    ".balign 4\n\t"
    "vf_cpu_patches_note:\n\t"
    ".long 10\n\t"  // namesz: "vdsoforge" and its NUL
    ".long vf_cpu_patches_end - vf_cpu_patches_desc\n\t"
    ".long 3\n\t"  // kNoteTypeCpuPatches
    ".asciz \"vdsoforge\"\n\t"
    ".balign 4\n\t"
    "vf_cpu_patches_desc:\n\t"
    ".long 1\n\t"  // kCpuPatchesFormat
    ".subsection 2\n\t"
    "vf_cpu_patches_end:\n\t"
    ".popsection");
static_assert(vdsoforge::abi::kNoteTypeCpuPatches == 3 && vdsoforge::abi::kCpuPatchesFormat == 1);

namespace {

using vdsoforge::abi::KernelTimespec;
using vdsoforge::abi::KernelTimeval;
using vdsoforge::abi::KernelTimezone;

inline constexpr const vdsoforge::layout::TimeLayout& kTimeLayout =
    vdsoforge::layout::time_layout_of(vdsoforge::image::kProfile);

// An explicit data area keeps the time pages at its first two pages, as
// 6.15+ kernels do; the rng data must lie above them.
static_assert(vdsoforge::image::kProfile ||
                  (vdsoforge::image::kDataAreaSize >= 2 * vdsoforge::abi::kPageSize &&
                   vdsoforge::image::kRngDataOffset >= 2 * vdsoforge::abi::kPageSize),
              "an image with the time functions needs the time and timens pages at the start "
              "of its data area: rng data at 0x2000 or above");

[[gnu::always_inline]] inline const uint8_t* data_area_at(uint32_t offset) {
  return reinterpret_cast<const uint8_t*>(__ehdr_start) - vdsoforge::image::kDataAreaSize + offset;
}

[[gnu::always_inline]] inline vdsoforge::image::TimeFunctions<kTimeLayout> time_functions() {
  return {data_area_at(kTimeLayout.time_data_offset),
          data_area_at(vdsoforge::layout::timens_time_data_offset(kTimeLayout))};
}

}  // namespace

extern "C" [[gnu::visibility("default")]] int __vdso_clock_gettime(int clock, KernelTimespec* ts) {
  return time_functions().clock_gettime(clock, ts);
}

extern "C" [[gnu::visibility("default")]] int __vdso_gettimeofday(KernelTimeval* tv,
                                                                  KernelTimezone* tz) {
  return time_functions().gettimeofday(tv, tz);
}

extern "C" [[gnu::visibility("default")]] long __vdso_time(long* t) {
  return time_functions().time(t);
}

extern "C" [[gnu::visibility("default")]] int __vdso_clock_getres(int clock, KernelTimespec* res) {
  return time_functions().clock_getres(clock, res);
}

extern "C" [[gnu::visibility("default")]] long __vdso_getcpu(unsigned* cpu, unsigned* node,
                                                             void* /*unused cache*/) {
  return vdsoforge::image::getcpu(cpu, node);
}

// The plain names, weak like the kernel's, at the same addresses.
extern "C" [[gnu::visibility("default")]] int clock_gettime(int, KernelTimespec*)
    __attribute__((weak, alias("__vdso_clock_gettime")));
extern "C" [[gnu::visibility("default")]] int gettimeofday(KernelTimeval*, KernelTimezone*)
    __attribute__((weak, alias("__vdso_gettimeofday")));
extern "C" [[gnu::visibility("default")]] long time(long*)
    __attribute__((weak, alias("__vdso_time")));
extern "C" [[gnu::visibility("default")]] int clock_getres(int, KernelTimespec*)
    __attribute__((weak, alias("__vdso_clock_getres")));
extern "C" [[gnu::visibility("default")]] long getcpu(unsigned*, unsigned*, void*)
    __attribute__((weak, alias("__vdso_getcpu")));
