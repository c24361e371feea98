// The image's chacha20-routines note: how a loader picks the ChaCha20 routine.
//
// An ELF note (owner "vdsoforge", type kNoteTypeChachaRoutines) in PT_NOTE.
// Its descriptor is little-endian u32 words:
//
//   format            kChachaRoutinesFormat
//   count             number of routine records that follow
//   site              offset of the dispatch jump (opcode 0xe9 + rel32)
//   then `count` records of:
//     id              ChachaRoutineId
//     features        CPU features the routine needs (kCpu* bits)
//     entry           offset of the routine's first instruction
//
// Offsets are from the first byte of the note record (its namesz word), so
// the linker resolves them without any relocation; add the record's address
// in the image to get an image offset.  Records are listed in order of
// preference, best last.  As linked the jump targets the kSse2 routine; a
// loader that chooses another writes rel32 = entry - (site + 5) while the text
// is still writable.  A loader that ignores the note runs SSE2.
#pragma once

#include <stdint.h>

namespace vdsoforge::abi {

inline constexpr uint32_t kNoteTypeChachaRoutines = 2;
inline constexpr uint32_t kChachaRoutinesFormat = 1;

enum class ChachaRoutineId : uint32_t { sse2 = 0, avx2 = 1, avx512 = 2 };

// CPU features a routine needs, each including the OS support (XCR0) for the
// registers it uses.
inline constexpr uint32_t kCpuSse2 = 1u << 0;    // every x86-64
inline constexpr uint32_t kCpuAvx2 = 1u << 1;    // AVX + AVX2, XCR0 SSE|AVX
inline constexpr uint32_t kCpuAvx512 = 1u << 2;  // AVX-512F + VL, XCR0 SSE|AVX|opmask|ZMM

inline constexpr uint8_t kJmpRel32Opcode = 0xe9;
inline constexpr uint32_t kJmpRel32Size = 5;

}  // namespace vdsoforge::abi
