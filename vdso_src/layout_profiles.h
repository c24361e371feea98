// The data layouts x86-64 kernels have given their vDSO, one profile each.
//
// A profile says how many bytes of data pages the kernel maps directly below
// the vDSO text, where vdso_rng_data lies in them, and, for kernels before
// 6.15, where the time-namespace page lies and where the vvar page holds the
// clock mode the getrandom code checks before it reads the rng data.  Every
// number is from the kernel's own sources; docs/abi.md cites them.  The
// header is freestanding because the image is compiled against it too.
#pragma once

#include <stdint.h>

namespace vdsoforge::layout {

enum class ProfileId : uint32_t {
  custom = 0,  // explicit size/offset, no time-namespace indirection
  linux_6_11 = 1,
  linux_6_13 = 2,
  linux_6_15 = 3,
};

// VDSO_CLOCKMODE_TIMENS (include/vdso/clocksource.h): the clock mode a time
// namespace's page carries so that vDSO code takes the namespace path.
inline constexpr int32_t kClockModeTimens = 0x7fffffff;

struct Profile {
  ProfileId id;
  const char* name;          // "linux-6.15"
  uint32_t data_area_size;   // bytes of data pages directly below the image
  uint32_t rng_data_offset;  // vdso_rng_data, from the data area's first byte
  // Pre-6.15 only (has_timens_indirection): the vvar page holding the rng
  // data and the clock mode, the timens page, and the clock mode's offset.
  bool has_timens_indirection;
  uint32_t vvar_page_offset;
  uint32_t timens_page_offset;
  uint32_t clock_mode_offset;  // inside the vvar page
  // How the kernel names and sizes those pages in /proc/PID/maps, below [vdso]:
  // first [vvar], then [vvar_vclock] (0 pages: no such mapping).
  uint32_t vvar_mapping_pages;
  uint32_t vvar_vclock_mapping_pages;
};

// 6.11-6.12: one [vvar] of four pages: vvar, pvclock, hvclock, timens.
// vdso_data at vvar + 128 (clock_mode is its second u32), rng data at + 640.
inline constexpr Profile kLinux611{
    ProfileId::linux_6_11, "linux-6.11", 0x4000, 0x280, true, 0x0, 0x3000, 0x84, 4, 0};
// 6.13-6.14: [vvar] (vvar, timens) then [vvar_vclock] (pvclock, hvclock);
// vdso_data moved to the start of the vvar page, rng data still at + 640.
inline constexpr Profile kLinux613{
    ProfileId::linux_6_13, "linux-6.13", 0x4000, 0x280, true, 0x0, 0x1000, 0x4, 2, 2};
// 6.15+: generic storage, six pages: time, timens, rng, arch, pvclock,
// hvclock; the rng data has a page of its own that no namespace swaps.
inline constexpr Profile kLinux615{
    ProfileId::linux_6_15, "linux-6.15", 0x6000, 0x2000, false, 0x0, 0x0, 0x0, 4, 2};

inline constexpr const Profile* kProfiles[] = {&kLinux611, &kLinux613, &kLinux615};

// Distances below the vDSO's first byte, the form docs/abi.md gives them in:
// what the image's code and the detector work with.
inline constexpr uint32_t rng_distance(const Profile& p) {
  return p.data_area_size - p.rng_data_offset;
}
inline constexpr uint32_t clock_mode_distance(const Profile& p) {
  return p.data_area_size - p.vvar_page_offset - p.clock_mode_offset;
}
inline constexpr uint32_t timens_page_distance(const Profile& p) {
  return p.data_area_size - p.timens_page_offset;
}
// What the pre-6.15 code adds to the rng address inside a time namespace:
// the timens page's distance from the vvar page (6.11: &__timens_vdso_data -
// &__vdso_data, both 128 bytes into their pages; 6.13: &timens_page -
// &vdso_data, vdso_data at the page's start).
inline constexpr uint32_t timens_delta(const Profile& p) {
  return p.timens_page_offset - p.vvar_page_offset;
}

// The table pinned to the kernels' numbers (docs/abi.md cites each source).
static_assert(rng_distance(kLinux611) == 0x3d80 && clock_mode_distance(kLinux611) == 0x3f7c &&
              timens_page_distance(kLinux611) == 0x1000 && timens_delta(kLinux611) == 0x3000);
static_assert(rng_distance(kLinux613) == 0x3d80 && clock_mode_distance(kLinux613) == 0x3ffc &&
              timens_page_distance(kLinux613) == 0x3000 && timens_delta(kLinux613) == 0x1000);
static_assert(rng_distance(kLinux615) == 0x4000);
static_assert(kLinux611.vvar_mapping_pages + kLinux611.vvar_vclock_mapping_pages == 4 &&
              kLinux613.vvar_mapping_pages + kLinux613.vvar_vclock_mapping_pages == 4 &&
              kLinux615.vvar_mapping_pages + kLinux615.vvar_vclock_mapping_pages == 6);

inline constexpr const Profile* find_profile(ProfileId id) {
  for (const Profile* p : kProfiles)
    if (p->id == id) return p;
  return nullptr;
}

// By name ("linux-6.13"); nullptr for a name no profile has.
inline constexpr const Profile* profile_named(const char* name) {
  for (const Profile* p : kProfiles) {
    const char* a = p->name;
    const char* b = name;
    while (*a && *a == *b) ++a, ++b;
    if (*a == *b) return p;
  }
  return nullptr;
}

}  // namespace vdsoforge::layout
