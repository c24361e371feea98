// Where each data layout keeps the kernel's time data, and in which shape.
//
// The kernel profiles (layout_profiles.h) place the rng data; this places the
// clock records of vdso_time_abi.h in the same data area, for the image's
// time functions and for the loader that emulates them:
//
//   linux-6.11  vvar page at 0: struct vdso_data[2] at +128 (legacy shape);
//               pvclock 0x1000, hvclock 0x2000, timens page 0x3000
//   linux-6.13  vvar page at 0: struct vdso_data[2] at +0 (legacy shape);
//               timens page 0x1000, pvclock 0x2000, hvclock 0x3000
//   linux-6.15  time page at 0: struct vdso_time_data (generic shape); its
//               tail at +464 on 6.15 and 6.16, at +2320 on 6.17+ (the eight
//               auxiliary clock records came in between); timens page 0x1000,
//               rng 0x2000, arch 0x3000, pvclock 0x4000, hvclock 0x5000
//   explicit    as linux-6.15 for the time pages: time data at the area's
//               first byte, the timens page right above it; no pvclock or
//               hvclock page
//
// In a time namespace the kernel swaps two pages: the namespace's own page
// (clock mode VDSO_CLOCKMODE_TIMENS, seq 1, offsets instead of base times)
// appears at the time data's slot and the real page at the timens slot; the
// time data then lies at the same offset in the timens page.  Freestanding:
// the image is compiled against it.
#pragma once

#include <stdint.h>

#include "layout_profiles.h"
#include "vdso_time_abi.h"

namespace vdsoforge::layout {

enum class TimeDataShape : uint32_t {
  legacy_vdso_data = 1,   // 6.11-6.14: VdsoDataLegacy[2]
  generic_time_data = 2,  // 6.15+: VdsoTimeData
};

struct TimeLayout {
  TimeDataShape shape;
  uint32_t time_data_offset;    // first clock record, from the data area's start
  uint32_t timens_page_offset;  // the page the real data moves to in a namespace
  uint32_t page_offset;         // the page holding the time data
  // Bytes from one clock record to the next, and from the first record to
  // the timezone/resolution tail.
  uint32_t clock_stride;
  uint32_t tail_offset;
  // Generic shape only (else 0): where 6.15 and 6.16 kept the tail, before
  // 6.17 put the auxiliary clock records there.  Their structure ends at
  // +480 and the rest of the (statically allocated, zeroed) page stays zero,
  // so a tail at tail_offset whose hrtimer_res is 0, which no kernel stores
  // (the resolution is at least 1 ns), says "6.15/6.16 data: the tail is here,
  // and there are no auxiliary clocks".
  uint32_t short_tail_offset;
  // The paravirtual clock pages (vdso_time_abi.h) from the data area's
  // first byte: vCPU 0's pvclock_vcpu_time_info and the Hyper-V TSC page; 0
  // where the layout has none (an explicit area), whose clock modes then go
  // to the system call.
  uint32_t pvclock_page_offset;
  uint32_t hvclock_page_offset;
};

inline constexpr TimeLayout kLegacyTimeLayout611{
    TimeDataShape::legacy_vdso_data, 128, 0x3000, 0,     sizeof(abi::VdsoDataLegacy),
    sizeof(abi::VdsoClock),          0,   0x1000, 0x2000};
inline constexpr TimeLayout kLegacyTimeLayout613{
    TimeDataShape::legacy_vdso_data, 0, 0x1000, 0,     sizeof(abi::VdsoDataLegacy),
    sizeof(abi::VdsoClock),          0, 0x2000, 0x3000};
inline constexpr TimeLayout kGenericTimeLayout{TimeDataShape::generic_time_data,
                                               0,
                                               0x1000,
                                               0,
                                               sizeof(abi::VdsoClock),
                                               __builtin_offsetof(abi::VdsoTimeData, tail),
                                               __builtin_offsetof(abi::VdsoTimeData615, tail),
                                               0x4000,
                                               0x5000};
// An explicit area: the generic shape without the paravirtual pages.
inline constexpr TimeLayout kExplicitTimeLayout{kGenericTimeLayout.shape,
                                                kGenericTimeLayout.time_data_offset,
                                                kGenericTimeLayout.timens_page_offset,
                                                kGenericTimeLayout.page_offset,
                                                kGenericTimeLayout.clock_stride,
                                                kGenericTimeLayout.tail_offset,
                                                kGenericTimeLayout.short_tail_offset,
                                                0,
                                                0};

// The time layout of a profile; nullptr (an explicit area) takes the generic one.
inline constexpr const TimeLayout& time_layout_of(const Profile* profile) {
  if (profile && profile->id == ProfileId::linux_6_11) return kLegacyTimeLayout611;
  if (profile && profile->id == ProfileId::linux_6_13) return kLegacyTimeLayout613;
  if (profile && profile->id == ProfileId::linux_6_15) return kGenericTimeLayout;
  return kExplicitTimeLayout;
}

// Where the time data lies in the timens page (same place as in its own page).
inline constexpr uint32_t timens_time_data_offset(const TimeLayout& t) {
  return t.timens_page_offset + (t.time_data_offset - t.page_offset);
}

// Pinned to the kernels' numbers (docs/abi.md cites the sources): the clock
// mode getrandom checks before 6.15 is the first record's.
static_assert(kLegacyTimeLayout611.time_data_offset + 4 == kLinux611.clock_mode_offset);
static_assert(kLegacyTimeLayout613.time_data_offset + 4 == kLinux613.clock_mode_offset);
static_assert(kLegacyTimeLayout611.timens_page_offset == kLinux611.timens_page_offset);
static_assert(kLegacyTimeLayout613.timens_page_offset == kLinux613.timens_page_offset);
static_assert(timens_time_data_offset(kLegacyTimeLayout611) == 0x3080);
static_assert(kGenericTimeLayout.tail_offset == 2320);
static_assert(kGenericTimeLayout.short_tail_offset == 464);
// The pvclock and hvclock pages as each profile's kernel maps them (the
// 6.11 [vvar] order vvar, pvclock, hvclock, timens; 6.13's [vvar_vclock] after
// vvar and timens; 6.15's after time, timens, rng and arch), inside its area.
static_assert(kLegacyTimeLayout611.pvclock_page_offset + 0x2000 <= kLinux611.data_area_size &&
              kLegacyTimeLayout611.hvclock_page_offset + 0x1000 <= kLinux611.timens_page_offset);
static_assert(kLegacyTimeLayout613.hvclock_page_offset + 0x1000 == kLinux613.data_area_size);
static_assert(kGenericTimeLayout.hvclock_page_offset + 0x1000 == kLinux615.data_area_size &&
              kGenericTimeLayout.pvclock_page_offset > kLinux615.rng_data_offset);
// The 6.15/6.16 structure (464 + 16 bytes, cache-line aligned to 512) ends
// before the 6.17+ tail, whose hrtimer_res the probe reads.
static_assert(sizeof(abi::VdsoTimeData615) <= 512 && kGenericTimeLayout.tail_offset >= 512);

}  // namespace vdsoforge::layout
