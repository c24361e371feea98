// Which ChaCha20 routine a loaded image runs, chosen once when it is mapped.
//
// Images built by this project carry SSE2, AVX2 and AVX-512 block routines
// behind one jump, and a note saying where the jump and the routines are
// (vdsoforge/chacha20_note.h).  The loader retargets the jump before the text
// becomes executable: to the routine OpenOptions::chacha20 names, else to the
// one $VDSOFORGE_CHACHA names, else to the fastest this CPU and kernel support.
#pragma once

#include <cstdint>
#include <optional>

#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/error.h"

namespace vdsoforge {

// What this CPU and the kernel (XCR0: the OS saves the registers) allow.
bool cpu_supports(Chacha20Routine routine);

// The environment variable that forces a routine when the API does not.
inline constexpr const char* kChachaEnvVar = "VDSOFORGE_CHACHA";

// The routine to patch in: `requested` (or $VDSOFORGE_CHACHA when it is
// automatic), checked against the CPU and the image; otherwise the best
// supported one.  LoaderErrc::invalid_argument for a bad $VDSOFORGE_CHACHA,
// LoaderErrc::not_supported for a routine the CPU or the image lacks.
std::optional<Chacha20Routine> choose_chacha20_routine(const Chacha20Routines& table,
                                                       Chacha20Routine requested, Error& err);

// Rewrites the dispatch jump in `text` (a writable copy of the image's
// PT_LOAD, offset 0 = image offset 0) to reach `routine`.
Error patch_chacha20_routine(const Chacha20Routines& table, Chacha20Routine routine, uint8_t* text,
                             uint64_t text_size);

}  // namespace vdsoforge
