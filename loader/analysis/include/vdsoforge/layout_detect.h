// Where a vDSO image expects its data pages, read from its code.
//
// The kernel's vDSO carries no data-layout note: its __vdso_getrandom reaches
// vdso_rng_data with RIP-relative addresses fixed when the kernel was built.
// The detector decodes that function (Zydis) and follows, along its branches,
// every address below the image a register may hold (taken by lea, moved,
// shifted by a constant or by the difference of two such addresses), and
// finds the u64 `generation` and the u8 `is_ready` 8 bytes above it.  On
// kernels before 6.15 it also finds the time-namespace indirection: a 32-bit
// compare of the vvar page's clock mode with VDSO_CLOCKMODE_TIMENS, and a
// second copy of the rng address one page distance away.  The distances are
// then matched against the known profiles (layout_profiles.h).
//
// Nothing guesses: code that does not show one consistent rng address comes
// back as unknown, with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/layout_profiles.h"

namespace vdsoforge {

enum class LayoutConfidence {
  unknown,  // no single rng-data address could be derived
  partial,  // the rng-data address is certain, the profile is not (none or ambiguous)
  certain,  // generation and is_ready seen, every distance matches one profile
};
std::string_view confidence_name(LayoutConfidence confidence);

// One access to memory below the image that the detector followed.
struct DataReference {
  uint64_t instruction;  // image offset of the instruction
  uint64_t distance;     // image base - referenced address
  unsigned width;        // bytes accessed; 0 for an address taken by lea
  std::string text;      // the instruction, Intel syntax
};

struct DetectedLayout {
  LayoutConfidence confidence = LayoutConfidence::unknown;
  std::string reason;  // why unknown / partial, or what was matched
  // Valid unless confidence is unknown.
  uint64_t rng_distance = 0;  // image base - vdso_rng_data
  // Pre-6.15 time-namespace indirection, when the code has one.
  std::optional<uint64_t> clock_mode_distance;  // image base - clock_mode
  std::optional<uint64_t> timens_delta;         // rng data through the other page: + this
  const layout::Profile* profile = nullptr;     // the one profile every distance matches
  std::vector<DataReference> references;        // the evidence, in code order

  bool known() const { return confidence != LayoutConfidence::unknown; }
  // "linux-6.15", or a description when no single profile matches.
  std::string profile_name() const;
  // A data area that puts the rng data where this code reads it: the
  // profile's, or the smallest page-aligned area holding the rng data.
  uint64_t data_area_size() const;
  uint64_t rng_data_offset() const { return data_area_size() - rng_distance; }
};

// Decodes `elf`'s __vdso_getrandom (any version).  Never throws; every
// failure is an unknown result with a reason.
DetectedLayout detect_data_layout(const ElfImage& elf);

// One line for people: "rng data at base - 0x4000 (linux-6.15, certain)".
std::string describe(const DetectedLayout& layout);

}  // namespace vdsoforge
