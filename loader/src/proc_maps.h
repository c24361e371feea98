// /proc/self/maps, parsed: the library's one reader of it, behind
// find_kernel_vdso() (kernel_vdso.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vdsoforge/error.h"

namespace vdsoforge::detail {

struct MapsEntry {
  uintptr_t start = 0;
  uintptr_t end = 0;
  std::string permissions;  // e.g. "r-xp"
  std::string name;         // path or [vdso], [vvar] ...; empty for anonymous memory
};

std::optional<std::vector<MapsEntry>> read_own_maps(Error& err);

}  // namespace vdsoforge::detail
