// Stackless AVX2 ChaCha20: eight blocks per pass in the transposed layout.
//
// Same contract and same keystream as the SSE2 routine (chacha20.h).  A wide
// pass keeps one state word of eight consecutive blocks per ymm register
// (lane i = block i).  Sixteen words and a rotate temporary need seventeen
// registers and AVX2 has sixteen, and the stack is off limits, so one word
// at a time waits in the first 32 bytes of the pass's own destination: memory
// the pass overwrites with finished keystream before it moves on (the only
// bytes it spills there are intermediate values of blocks it is about to
// write to the same place).  Which word waits there alternates between x15
// and x12 within each double round, so every quarter round finds its four
// words in registers.  Rotations by 16 and 8 are byte shuffles with masks
// read from .rodata, by 12 and 7 shift/shift/or.
//
// Passes run while three or more blocks are left; a short last pass stores
// only the blocks asked for.  One or two blocks (the batch refill every small
// request pays) take a row-layout pass instead: both blocks at once, one per
// 128-bit lane.
//
// Naked: no prologue, never touches rsp or rbp, pushes nothing, calls
// nothing; vzeroall before returning clears every register it used (and
// leaves the upper state clean for SSE callers).
// Arguments (SysV): rdi = dst, rsi = key, rdx = counter, rcx = nblocks.
#include "chacha20.h"
#include "chacha20_asm.h"

// Hand-laid instruction macros: one instruction group per line reads as assembly.
// clang-format off
#define VF2_ROT16(a) VF_ROT_SHUFFLE("ymm", a, "vf_avx2_rot16")
#define VF2_ROT8(a) VF_ROT_SHUFFLE("ymm", a, "vf_avx2_rot8")

// Three quarter rounds interleaved, sharing rotate temporary t.
#define VF2_QR3(t, a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2)                              \
  VF_VADD("ymm", a0, b0) VF_VADD("ymm", a1, b1) VF_VADD("ymm", a2, b2)                          \
  VF_VXOR("ymm", d0, a0) VF_VXOR("ymm", d1, a1) VF_VXOR("ymm", d2, a2)                          \
  VF2_ROT16(d0) VF2_ROT16(d1) VF2_ROT16(d2)                                                     \
  VF_VADD("ymm", c0, d0) VF_VADD("ymm", c1, d1) VF_VADD("ymm", c2, d2)                          \
  VF_VXOR("ymm", b0, c0) VF_VXOR("ymm", b1, c1) VF_VXOR("ymm", b2, c2)                          \
  VF_ROT_SHIFT("ymm", b0, 12, t) VF_ROT_SHIFT("ymm", b1, 12, t) VF_ROT_SHIFT("ymm", b2, 12, t)  \
  VF_VADD("ymm", a0, b0) VF_VADD("ymm", a1, b1) VF_VADD("ymm", a2, b2)                          \
  VF_VXOR("ymm", d0, a0) VF_VXOR("ymm", d1, a1) VF_VXOR("ymm", d2, a2)                          \
  VF2_ROT8(d0) VF2_ROT8(d1) VF2_ROT8(d2)                                                        \
  VF_VADD("ymm", c0, d0) VF_VADD("ymm", c1, d1) VF_VADD("ymm", c2, d2)                          \
  VF_VXOR("ymm", b0, c0) VF_VXOR("ymm", b1, c1) VF_VXOR("ymm", b2, c2)                          \
  VF_ROT_SHIFT("ymm", b0, 7, t) VF_ROT_SHIFT("ymm", b1, 7, t) VF_ROT_SHIFT("ymm", b2, 7, t)
#define VF2_QR1(t, a, b, c, d)                                              \
  VF_VADD("ymm", a, b) VF_VXOR("ymm", d, a) VF2_ROT16(d)                    \
  VF_VADD("ymm", c, d) VF_VXOR("ymm", b, c) VF_ROT_SHIFT("ymm", b, 12, t)   \
  VF_VADD("ymm", a, b) VF_VXOR("ymm", d, a) VF2_ROT8(d)                     \
  VF_VADD("ymm", c, d) VF_VXOR("ymm", b, c) VF_ROT_SHIFT("ymm", b, 7, t)

// One double round.  On entry and exit x0-x14 are in ymm0-14, x15 waits in
// (%rdi) and ymm15 is free.  In between x15 and x12 trade places.
#define VF2_DOUBLE_ROUND                                     \
  VF2_QR3(15, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14)        \
  "vmovdqu (%rdi), %ymm15\n\t"                               \
  "vmovdqu %ymm12, (%rdi)\n\t"                               \
  VF2_QR1(12, 3, 7, 11, 15)                                  \
  VF2_QR3(12, 0, 5, 10, 15, 2, 7, 8, 13, 3, 4, 9, 14)        \
  "vmovdqu (%rdi), %ymm12\n\t"                               \
  "vmovdqu %ymm15, (%rdi)\n\t"                               \
  VF2_QR1(15, 1, 6, 11, 12)

// 4x4 transpose of 32-bit words inside each 128-bit lane of a0-a3 through
// the one free register t.  Afterwards a2, t, a0, a1 (in that order) hold
// blocks j = 0..3 of this group in lane 0 and blocks 4+j in lane 1.
#define VF2_TRANSPOSE_GROUP(a0, a1, a2, a3, t)          \
  "vpunpckldq %ymm" #a1 ", %ymm" #a0 ", %ymm" #t "\n\t"   \
  "vpunpckhdq %ymm" #a1 ", %ymm" #a0 ", %ymm" #a1 "\n\t"  \
  "vpunpckldq %ymm" #a3 ", %ymm" #a2 ", %ymm" #a0 "\n\t"  \
  "vpunpckhdq %ymm" #a3 ", %ymm" #a2 ", %ymm" #a3 "\n\t"  \
  "vpunpcklqdq %ymm" #a0 ", %ymm" #t ", %ymm" #a2 "\n\t"  \
  "vpunpckhqdq %ymm" #a0 ", %ymm" #t ", %ymm" #t "\n\t"   \
  "vpunpcklqdq %ymm" #a3 ", %ymm" #a1 ", %ymm" #a0 "\n\t" \
  "vpunpckhqdq %ymm" #a3 ", %ymm" #a1 ", %ymm" #a1 "\n\t"

// Stores this group's 16 bytes (at byte `off` of each block) of blocks j and
// 4+j from register r, each only if the block is wanted (index < rcx).
#define VF2_STORE_PAIR(r, j, off)                              \
  "cmp $" #j ", %rcx\n\t"                                      \
  "jbe 1f\n\t"                                                 \
  "vmovdqu %xmm" #r ", (64*" #j "+" #off ")(%rdi)\n\t"         \
  "1:\n\t"                                                     \
  "cmp $(4+" #j "), %rcx\n\t"                                  \
  "jbe 1f\n\t"                                                 \
  "vextracti128 $1, %ymm" #r ", (64*(4+" #j ")+" #off ")(%rdi)\n\t" \
  "1:\n\t"
#define VF2_STORE_GROUP(r0, r1, r2, r3, off) \
  VF2_STORE_PAIR(r0, 0, off) VF2_STORE_PAIR(r1, 1, off) VF2_STORE_PAIR(r2, 2, off) \
  VF2_STORE_PAIR(r3, 3, off)

// Counter words of a pass from the 64-bit counter in r9 into registers lo and
// hi (low word = counter + lane; the high word carries where it wrapped),
// using t.
#define VF2_COUNTER_WORDS(lo, hi, t)                             \
  "vmovd %r9d, %xmm" #t "\n\t"                                   \
  "vpbroadcastd %xmm" #t ", %ymm" #t "\n\t"                      \
  "vpaddd vf_avx2_iota(%rip), %ymm" #t ", %ymm" #lo "\n\t"       \
  /* t = all ones where lo >= counter's low word: no carry */    \
  "vpmaxud %ymm" #t ", %ymm" #lo ", %ymm" #t "\n\t"              \
  "vpcmpeqd %ymm" #lo ", %ymm" #t ", %ymm" #t "\n\t"             \
  "mov %r9, %rax\n\t"                                            \
  "shr $32, %rax\n\t"                                            \
  "inc %eax\n\t"                                                 \
  "vmovd %eax, %xmm" #hi "\n\t"                                  \
  "vpbroadcastd %xmm" #hi ", %ymm" #hi "\n\t"                    \
  "vpaddd %ymm" #t ", %ymm" #hi ", %ymm" #hi "\n\t"

// Adds broadcast 32-bit word `src` (a memory operand) to register r via t.
#define VF2_ADD_WORD(r, src, t)                 \
  "vpbroadcastd " src ", %ymm" #t "\n\t"        \
  "vpaddd %ymm" #t ", %ymm" #r ", %ymm" #r "\n\t"

// Row-layout double round for the one/two-block pass (rows in ymm4-7,
// rotate temporary ymm8).
#define VF2_ROW_QR                                                         \
  VF_VADD("ymm", 4, 5) VF_VXOR("ymm", 7, 4) VF2_ROT16(7)                   \
  VF_VADD("ymm", 6, 7) VF_VXOR("ymm", 5, 6) VF_ROT_SHIFT("ymm", 5, 12, 8)  \
  VF_VADD("ymm", 4, 5) VF_VXOR("ymm", 7, 4) VF2_ROT8(7)                    \
  VF_VADD("ymm", 6, 7) VF_VXOR("ymm", 5, 6) VF_ROT_SHIFT("ymm", 5, 7, 8)
// clang-format on

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks_avx2(uint8_t*, const uint8_t*, uint32_t*,
                                                              size_t) {
  asm(
      ".pushsection .rodata.vf_avx2, \"a\", @progbits\n\t"
      ".balign 32\n\t"
      "vf_avx2_rot16:\n\t"
      ".byte 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13\n\t"
      ".byte 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13\n\t"
      "vf_avx2_rot8:\n\t"
      ".byte 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14\n\t"
      ".byte 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14\n\t"
      "vf_avx2_iota:\n\t"
      ".long 0, 1, 2, 3, 4, 5, 6, 7\n\t"
      "vf_avx2_sigma:\n\t"
      ".long 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574\n\t"
      ".popsection\n\t"

      "test %rcx, %rcx\n\t"
      "jz 99f\n\t"
      "mov (%rdx), %r9\n\t"  // the 64-bit counter, advanced in r9
      "cmp $3, %rcx\n\t"
      "jb 50f\n\t"

      // ---- Wide pass: eight blocks. ----
      "10:\n\t"
      "vpbroadcastd vf_avx2_sigma+0(%rip), %ymm0\n\t"
      "vpbroadcastd vf_avx2_sigma+4(%rip), %ymm1\n\t"
      "vpbroadcastd vf_avx2_sigma+8(%rip), %ymm2\n\t"
      "vpbroadcastd vf_avx2_sigma+12(%rip), %ymm3\n\t"
      "vpbroadcastd 0(%rsi), %ymm4\n\t"
      "vpbroadcastd 4(%rsi), %ymm5\n\t"
      "vpbroadcastd 8(%rsi), %ymm6\n\t"
      "vpbroadcastd 12(%rsi), %ymm7\n\t"
      "vpbroadcastd 16(%rsi), %ymm8\n\t"
      "vpbroadcastd 20(%rsi), %ymm9\n\t"
      "vpbroadcastd 24(%rsi), %ymm10\n\t"
      "vpbroadcastd 28(%rsi), %ymm11\n\t"
      VF2_COUNTER_WORDS(12, 13, 15)
      // Words 14 and 15, the nonce, are zero; x15 starts out waiting in dst.
      "vpxor %xmm14, %xmm14, %xmm14\n\t"
      "vpxor %xmm15, %xmm15, %xmm15\n\t"
      "vmovdqu %ymm15, (%rdi)\n\t"
      "mov $10, %eax\n\t"
      "11:\n\t"
      VF2_DOUBLE_ROUND
      "dec %eax\n\t"
      "jnz 11b\n\t"
      // Feed-forward and store, one group of four words at a time; each
      // stored group frees registers for the next.  Group 0: the constants.
      VF2_ADD_WORD(0, "vf_avx2_sigma+0(%rip)", 15)
      VF2_ADD_WORD(1, "vf_avx2_sigma+4(%rip)", 15)
      VF2_ADD_WORD(2, "vf_avx2_sigma+8(%rip)", 15)
      VF2_ADD_WORD(3, "vf_avx2_sigma+12(%rip)", 15)
      VF2_TRANSPOSE_GROUP(0, 1, 2, 3, 15)
      // x15 back into a register before block 0's first bytes land on it.
      "vmovdqu (%rdi), %ymm3\n\t"
      VF2_STORE_GROUP(2, 15, 0, 1, 0)
      // Group 1: key words 0-3.
      VF2_ADD_WORD(4, "0(%rsi)", 0)
      VF2_ADD_WORD(5, "4(%rsi)", 0)
      VF2_ADD_WORD(6, "8(%rsi)", 0)
      VF2_ADD_WORD(7, "12(%rsi)", 0)
      VF2_TRANSPOSE_GROUP(4, 5, 6, 7, 0)
      VF2_STORE_GROUP(6, 0, 4, 5, 16)
      // Group 2: key words 4-7.
      VF2_ADD_WORD(8, "16(%rsi)", 1)
      VF2_ADD_WORD(9, "20(%rsi)", 1)
      VF2_ADD_WORD(10, "24(%rsi)", 1)
      VF2_ADD_WORD(11, "28(%rsi)", 1)
      VF2_TRANSPOSE_GROUP(8, 9, 10, 11, 1)
      VF2_STORE_GROUP(10, 1, 8, 9, 32)
      // Group 3: counter and nonce (x15 now in ymm3; the nonce adds zero).
      VF2_COUNTER_WORDS(7, 6, 2)
      "vpaddd %ymm7, %ymm12, %ymm12\n\t"
      "vpaddd %ymm6, %ymm13, %ymm13\n\t"
      VF2_TRANSPOSE_GROUP(12, 13, 14, 3, 2)
      VF2_STORE_GROUP(14, 2, 12, 13, 48)
      "cmp $8, %rcx\n\t"
      "jbe 20f\n\t"
      "add $8, %r9\n\t"
      "add $512, %rdi\n\t"
      "sub $8, %rcx\n\t"
      "cmp $3, %rcx\n\t"
      "jae 10b\n\t"
      "jmp 50f\n\t"
      // The pass was the last: it wrote the rcx blocks left.
      "20:\n\t"
      "add %rcx, %r9\n\t"
      "jmp 90f\n\t"

      // ---- One or two blocks, row layout, one block per 128-bit lane. ----
      "50:\n\t"
      "vbroadcasti128 vf_avx2_sigma(%rip), %ymm0\n\t"
      "vbroadcasti128 0(%rsi), %ymm1\n\t"
      "vbroadcasti128 16(%rsi), %ymm2\n\t"
      // Row 3: counter and zero nonce in lane 0, counter + 1 in lane 1.
      "vmovq %r9, %xmm3\n\t"
      "lea 1(%r9), %rax\n\t"
      "vmovq %rax, %xmm4\n\t"
      "vinserti128 $1, %xmm4, %ymm3, %ymm3\n\t"
      VF_ROW_YMM_START
      VF2_ROW_QR
      VF_ROW_DIAGONALIZE("ymm")
      VF2_ROW_QR
      VF_ROW_UNDIAGONALIZE("ymm")
      VF_ROW_YMM_FINISH("vextracti128")
      "add %rcx, %r9\n\t"

      "90:\n\t"
      "mov %r9, (%rdx)\n\t"
      // Leave no key or keystream behind in vector registers.
      "vzeroall\n\t"
      "99:\n\t"
      "ret\n\t");
}
