#include "host_time.h"

#include "time_layout.h"
#include "vdso_time.h"

// The cpu-patches note header the counter reads' records refer to, as
// vdso_time.cpp opens it in the image; nothing reads it on the host.
asm(".pushsection .note.vdsoforge.cpu_patches, \"a\", @note\n\t"
    ".subsection 0\n\t"
    ".balign 4\n\t"
    "vf_cpu_patches_note:\n\t"
    ".long 10\n\t"
    ".long vf_cpu_patches_end - vf_cpu_patches_desc\n\t"
    ".long 3\n\t"
    ".asciz \"vdsoforge\"\n\t"
    ".balign 4\n\t"
    "vf_cpu_patches_desc:\n\t"
    ".long 1\n\t"
    ".subsection 2\n\t"
    "vf_cpu_patches_end:\n\t"
    ".popsection");

namespace vdsoforge::host {
namespace {

template <const layout::TimeLayout& kLayout>
image::TimeFunctions<kLayout> bind(const uint8_t* area) {
  return {area + kLayout.time_data_offset, area + layout::timens_time_data_offset(kLayout)};
}

// Calls `call` with the time functions of `profile`'s layout over `area`.
template <typename Call>
auto with_functions(layout::ProfileId profile, const uint8_t* area, Call call) {
  switch (profile) {
    case layout::ProfileId::linux_6_11:
      return call(bind<layout::kLegacyTimeLayout611>(area));
    case layout::ProfileId::linux_6_13:
      return call(bind<layout::kLegacyTimeLayout613>(area));
    case layout::ProfileId::linux_6_15:
      return call(bind<layout::kGenericTimeLayout>(area));
    case layout::ProfileId::custom:
      break;
  }
  return call(bind<layout::kExplicitTimeLayout>(area));
}

}  // namespace

int clock_gettime(layout::ProfileId profile, const uint8_t* area, int clock,
                  abi::KernelTimespec* ts) {
  return with_functions(profile, area, [&](auto f) { return f.clock_gettime(clock, ts); });
}

int gettimeofday(layout::ProfileId profile, const uint8_t* area, abi::KernelTimeval* tv,
                 abi::KernelTimezone* tz) {
  return with_functions(profile, area, [&](auto f) { return f.gettimeofday(tv, tz); });
}

int clock_getres(layout::ProfileId profile, const uint8_t* area, int clock,
                 abi::KernelTimespec* res) {
  return with_functions(profile, area, [&](auto f) { return f.clock_getres(clock, res); });
}

}  // namespace vdsoforge::host
