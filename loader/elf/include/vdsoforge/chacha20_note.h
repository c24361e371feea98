// An image's chacha20-routines note: which ChaCha20 routines it carries and
// where the jump that selects one is (docs/abi.md, "Choosing the routine at
// load time").  Reading only; choosing and patching are the loader's
// (vdsoforge/chacha20_routine.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_error.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge {

enum class Chacha20Routine {
  automatic,  // $VDSOFORGE_CHACHA if set, else the best the CPU supports
  sse2,
  avx2,
  avx512,
};

// "auto", "sse2", "avx2", "avx512".
std::string_view chacha20_routine_name(Chacha20Routine routine);
// Accepts the names above; nullopt for anything else.
std::optional<Chacha20Routine> parse_chacha20_routine(std::string_view name);

// The note, decoded to image offsets.
struct Chacha20RoutineEntry {
  Chacha20Routine routine;
  uint32_t features;  // CPU-feature bits of the note (bit 0 SSE2, 1 AVX2, 2 AVX-512F+VL)
  uint64_t entry;     // image offset of the routine's first instruction
};
struct Chacha20Routines {
  uint64_t site;                               // image offset of the dispatch jump (e9 + rel32)
  std::vector<Chacha20RoutineEntry> routines;  // in the note's order, best last
  const Chacha20RoutineEntry* find(Chacha20Routine routine) const;
};

// nullopt with err unset if the image has no such note (the kernel's vDSO,
// images of older versions); nullopt with err set (Errc::bad_note) if the note
// is malformed or its jump is not where and what it says.
std::optional<Chacha20Routines> read_chacha20_routines(const ElfImage& elf, ElfError& err);

}  // namespace vdsoforge
