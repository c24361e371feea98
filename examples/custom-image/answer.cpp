// The example's extra vDSO function.  It shows the two things an image
// function may use: its arguments and the kernel-published data below the
// image (here the rng generation), reached PC-relative through __ehdr_start
// so the image needs no relocation.
#include <stdint.h>

#include "data_layout.h"
#include "vgetrandom_abi.h"

extern "C" [[gnu::visibility("hidden")]] const char __ehdr_start[];

// answer(q) = 6 * q + the data page's rng generation.  A host that sets the
// generation can predict the result, which proves the call really ran the
// image's code against the data page the loader mapped below it.
extern "C" [[gnu::visibility("default")]] uint64_t __vdso_vdsoforge_answer(uint64_t question) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(__ehdr_start);
  const auto* rng = reinterpret_cast<const volatile vdsoforge::abi::VdsoRngData*>(
      base - vdsoforge::image::kDataAreaSize + vdsoforge::image::kRngDataOffset);
  return 6 * question + rng->generation;
}
