// The image's one ChaCha20 entry and the note that lets a loader retarget it.
//
// vdsoforge_chacha20_blocks is a single `jmp rel32`, to the SSE2 routine as
// linked.  A loader reads the chacha20-routines note (layout in
// chacha20_routines.h) and rewrites the rel32 once, before the text becomes
// executable; afterwards every call costs one direct, always-predicted jump
// and no feature test.  Both are written in assembly so the jump is exactly
// the five bytes the note describes and the note's offsets are resolved by
// the linker (differences against a label in the note's own section).
#include "chacha20.h"
#include "chacha20_routines.h"

// The note below spells these numbers out; keep them in step.
static_assert(vdsoforge::abi::kNoteTypeChachaRoutines == 2);
static_assert(vdsoforge::abi::kChachaRoutinesFormat == 1);
static_assert(uint32_t(vdsoforge::abi::ChachaRoutineId::sse2) == 0 &&
              uint32_t(vdsoforge::abi::ChachaRoutineId::avx2) == 1 &&
              uint32_t(vdsoforge::abi::ChachaRoutineId::avx512) == 2);
static_assert(vdsoforge::abi::kCpuSse2 == 1 && vdsoforge::abi::kCpuAvx2 == 2 &&
              vdsoforge::abi::kCpuAvx512 == 4);

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks(uint8_t*, const uint8_t*, uint32_t*,
                                                         size_t) {
  asm(
      // `.d32` makes the assembler emit the rel32 form even if it could
      // prove a short jump would reach.
      "vf_chacha20_dispatch_site:\n\t"
      "jmp.d32 vdsoforge_chacha20_blocks_sse2\n\t"

      ".pushsection .note.vdsoforge.chacha20, \"a\", @note\n\t"
      ".balign 4\n\t"
      "vf_chacha20_note:\n\t"
      ".long 10\n\t"          // namesz: "vdsoforge" and its NUL
      ".long 3*4 + 3*12\n\t"  // descsz
      ".long 2\n\t"           // kNoteTypeChachaRoutines
      ".asciz \"vdsoforge\"\n\t"
      ".balign 4\n\t"
      ".long 1\n\t"  // format
      ".long 3\n\t"  // routines
      ".long vf_chacha20_dispatch_site - vf_chacha20_note\n\t"
      // id, features, entry; best last.
      ".long 0, 1, vdsoforge_chacha20_blocks_sse2 - vf_chacha20_note\n\t"
      ".long 1, 2, vdsoforge_chacha20_blocks_avx2 - vf_chacha20_note\n\t"
      ".long 2, 4, vdsoforge_chacha20_blocks_avx512 - vf_chacha20_note\n\t"
      ".popsection\n\t");
}
