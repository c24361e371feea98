// Which ChaCha20 routine a loaded image runs, chosen once when it is mapped.
//
// Images built by this project carry SSE2, AVX2 and AVX-512 block routines
// behind one jump, and a note saying where the jump and the routines are
// (docs/abi.md, "ChaCha20 routines").  The loader retargets the jump before
// the text becomes executable: to the routine OpenOptions::chacha20 names,
// else to the one $VDSOFORGE_CHACHA names, else to the fastest this CPU and
// kernel support.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/error.h"

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

// What this CPU and the kernel (XCR0: the OS saves the registers) allow.
bool cpu_supports(Chacha20Routine routine);

// The environment variable that forces a routine when the API does not.
inline constexpr const char* kChachaEnvVar = "VDSOFORGE_CHACHA";

// An image's chacha20-routines note, decoded to image offsets.
struct Chacha20RoutineEntry {
  Chacha20Routine routine;
  uint32_t features;  // kCpu* bits of the note
  uint64_t entry;     // image offset of the routine's first instruction
};
struct Chacha20Routines {
  uint64_t site;  // image offset of the dispatch jump (e9 + rel32)
  std::vector<Chacha20RoutineEntry> routines;  // in the note's order, best last
  const Chacha20RoutineEntry* find(Chacha20Routine routine) const;
};

// nullopt with err unset if the image has no such note (the kernel's vDSO,
// images of older versions); nullopt with err set if the note is malformed or
// its jump is not where and what it says.
std::optional<Chacha20Routines> read_chacha20_routines(const ElfImage& elf, Error& err);

// The routine to patch in: `requested` (or $VDSOFORGE_CHACHA when it is
// automatic), checked against the CPU; otherwise the best supported one.
// Errc::invalid_argument for a bad $VDSOFORGE_CHACHA, Errc::not_supported for
// a routine the CPU or the image lacks.
std::optional<Chacha20Routine> choose_chacha20_routine(const Chacha20Routines& table,
                                                       Chacha20Routine requested, Error& err);

// Rewrites the dispatch jump in `text` (a writable copy of the image's
// PT_LOAD, offset 0 = image offset 0) to reach `routine`.
Error patch_chacha20_routine(const Chacha20Routines& table, Chacha20Routine routine,
                             uint8_t* text, uint64_t text_size);

}  // namespace vdsoforge
