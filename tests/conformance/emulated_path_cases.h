// The data-page situations only an emulated page can produce on demand:
// is_ready 0, a generation changed between calls, wrapped past the top, at
// the top, and the value 0 with a wiped or a live state.  The kernel-code
// and the per-profile conformance tests both drive every one of them.
#pragma once

#include <cstdint>
#include <limits>

namespace conformance {

struct EmulatedPathCase {
  const char* name;
  bool ready;
  uint64_t state_generation, page_generation;
};

inline constexpr uint64_t kTopGeneration = std::numeric_limits<uint64_t>::max();

inline constexpr EmulatedPathCase kEmulatedPathCases[] = {
    {"is_ready 0 (syscall fallback)", false, 7, 7},
    {"generation changed between calls (reseed)", true, 7, 8},
    {"generation wrapped past the top (reseed)", true, kTopGeneration, 1},
    {"generation at the top", true, kTopGeneration - 1, kTopGeneration},
    {"page generation 0, wiped state (no reseed)", true, 0, 0},
    {"page generation 0, live state (reseed)", true, 5, 0},
};

}  // namespace conformance
