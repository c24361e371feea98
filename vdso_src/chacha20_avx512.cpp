// Stackless AVX-512 ChaCha20: sixteen blocks per pass in the transposed layout.
//
// Same contract and same keystream as the SSE2 routine (chacha20.h).  A wide
// pass keeps one state word of sixteen consecutive blocks in each of
// zmm0-zmm15 (lane i = block i), so a quarter round is twelve instructions for
// sixteen blocks and vprold does each rotate in one.  The key stays broadcast
// in zmm16-zmm23 for the whole call, the counter words of the pass in
// zmm24/zmm25, and zmm24-zmm31 serve as transpose temporaries at the end of a
// pass.  Passes run while three or more blocks are left; a short last pass
// stores only the blocks asked for.  One or two blocks (the batch refill every
// small request pays) take a row-layout pass in ymm registers instead: both
// blocks at once, one per 128-bit lane.
//
// Needs AVX-512F and AVX-512VL (vprold on ymm).  Naked: no prologue, never
// touches rsp or rbp, pushes nothing, calls nothing.  Before returning it
// clears every vector register it wrote (vzeroall for zmm0-15, which also
// leaves the upper state clean for SSE callers, and explicit zeroing of
// zmm16-31) and the mask register k1.
// Arguments (SysV): rdi = dst, rsi = key, rdx = counter, rcx = nblocks.
#include "chacha20.h"
#include "chacha20_asm.h"

// One double round on the transposed state in zmm0-15: four column quarter
// rounds, then four diagonal ones, each group interleaved step by step.
#define VF512_DOUBLE_ROUND                                                   \
  VF_QR4_VPROLD("zmm", 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15) \
  VF_QR4_VPROLD("zmm", 0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14)

// 4x4 transpose of 32-bit words inside each 128-bit lane of a0-a3 (zmm
// numbers), through zmm24-27.  Afterwards a_j lane L holds block 4L+j's four
// words of this group.
#define VF512_TRANSPOSE_GROUP(a0, a1, a2, a3) \
  "vpunpckldq %zmm" #a1 ", %zmm" #a0          \
  ", %zmm24\n\t"                              \
  "vpunpckhdq %zmm" #a1 ", %zmm" #a0          \
  ", %zmm25\n\t"                              \
  "vpunpckldq %zmm" #a3 ", %zmm" #a2          \
  ", %zmm26\n\t"                              \
  "vpunpckhdq %zmm" #a3 ", %zmm" #a2          \
  ", %zmm27\n\t"                              \
  "vpunpcklqdq %zmm26, %zmm24, %zmm" #a0      \
  "\n\t"                                      \
  "vpunpckhqdq %zmm26, %zmm24, %zmm" #a1      \
  "\n\t"                                      \
  "vpunpcklqdq %zmm27, %zmm25, %zmm" #a2      \
  "\n\t"                                      \
  "vpunpckhqdq %zmm27, %zmm25, %zmm" #a3 "\n\t"

// Gathers the four 16-byte pieces of blocks j, 4+j, 8+j, 12+j (lanes of
// zmm j, 4+j, 8+j, 12+j after the group transposes) into whole blocks,
// through zmm28-31, and stores each block that is still wanted (index < rcx).
#define VF512_STORE_BLOCK(reg, block) \
  "cmp $" #block                      \
  ", %rcx\n\t"                        \
  "jbe 1f\n\t"                        \
  "vmovdqu64 %zmm" #reg ", " #block   \
  "*64(%rdi)\n\t"                     \
  "1:\n\t"
#define VF512_GATHER_AND_STORE(j, j4, j8, j12)                                 \
  "vshufi32x4 $0x44, %zmm" #j4 ", %zmm" #j                                     \
  ", %zmm28\n\t"                                                               \
  "vshufi32x4 $0xee, %zmm" #j4 ", %zmm" #j                                     \
  ", %zmm29\n\t"                                                               \
  "vshufi32x4 $0x44, %zmm" #j12 ", %zmm" #j8                                   \
  ", %zmm30\n\t"                                                               \
  "vshufi32x4 $0xee, %zmm" #j12 ", %zmm" #j8                                   \
  ", %zmm31\n\t"                                                               \
  "vshufi32x4 $0x88, %zmm30, %zmm28, %zmm" #j                                  \
  "\n\t"                                                                       \
  "vshufi32x4 $0xdd, %zmm30, %zmm28, %zmm" #j4                                 \
  "\n\t"                                                                       \
  "vshufi32x4 $0x88, %zmm31, %zmm29, %zmm" #j8                                 \
  "\n\t"                                                                       \
  "vshufi32x4 $0xdd, %zmm31, %zmm29, %zmm" #j12 "\n\t" VF512_STORE_BLOCK(j, j) \
      VF512_STORE_BLOCK(j4, j4) VF512_STORE_BLOCK(j8, j8) VF512_STORE_BLOCK(j12, j12)

// Counter words of a wide pass from the 64-bit counter in r9: zmm24 = low
// words (counter + lane), zmm25 = high words (carry where the low word
// wrapped).  Uses zmm28 and k1.
#define VF512_COUNTER_WORDS                         \
  "vpbroadcastd %r9d, %zmm28\n\t"                   \
  "vpaddd vf_avx512_iota(%rip), %zmm28, %zmm24\n\t" \
  "vpcmpltud %zmm28, %zmm24, %k1\n\t"               \
  "mov %r9, %rax\n\t"                               \
  "shr $32, %rax\n\t"                               \
  "vpbroadcastd %eax, %zmm25\n\t"                   \
  "vpaddd vf_avx512_one(%rip){1to16}, %zmm25, %zmm25{%k1}\n\t"

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks_avx512(uint8_t*, const uint8_t*, uint32_t*,
                                                                size_t) {
  asm(
      ".pushsection .rodata.vf_avx512, \"a\", @progbits\n\t"
      ".balign 64\n\t"
      "vf_avx512_iota:\n\t"
      ".long 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n\t"
      "vf_avx512_sigma:\n\t"
      ".long 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574\n\t"
      "vf_avx512_one:\n\t"
      ".long 1\n\t"
      ".balign 8\n\t"  // keeps what follows in .rodata 8-aligned
      ".popsection\n\t"

      "test %rcx, %rcx\n\t"
      "jz 99f\n\t"
      "mov (%rdx), %r9\n\t"  // the 64-bit counter, advanced in r9
      "cmp $3, %rcx\n\t"
      "jb 50f\n\t"
      // The key, one word per register, for the whole call.
      "vpbroadcastd 0(%rsi), %zmm16\n\t"
      "vpbroadcastd 4(%rsi), %zmm17\n\t"
      "vpbroadcastd 8(%rsi), %zmm18\n\t"
      "vpbroadcastd 12(%rsi), %zmm19\n\t"
      "vpbroadcastd 16(%rsi), %zmm20\n\t"
      "vpbroadcastd 20(%rsi), %zmm21\n\t"
      "vpbroadcastd 24(%rsi), %zmm22\n\t"
      "vpbroadcastd 28(%rsi), %zmm23\n\t"

      // ---- Wide pass: sixteen blocks. ----
      "10:\n\t"
      "vpbroadcastd vf_avx512_sigma+0(%rip), %zmm0\n\t"
      "vpbroadcastd vf_avx512_sigma+4(%rip), %zmm1\n\t"
      "vpbroadcastd vf_avx512_sigma+8(%rip), %zmm2\n\t"
      "vpbroadcastd vf_avx512_sigma+12(%rip), %zmm3\n\t"
      "vmovdqa64 %zmm16, %zmm4\n\t"
      "vmovdqa64 %zmm17, %zmm5\n\t"
      "vmovdqa64 %zmm18, %zmm6\n\t"
      "vmovdqa64 %zmm19, %zmm7\n\t"
      "vmovdqa64 %zmm20, %zmm8\n\t"
      "vmovdqa64 %zmm21, %zmm9\n\t"
      "vmovdqa64 %zmm22, %zmm10\n\t"
      "vmovdqa64 %zmm23, %zmm11\n\t"
      VF512_COUNTER_WORDS
      "vmovdqa64 %zmm24, %zmm12\n\t"
      "vmovdqa64 %zmm25, %zmm13\n\t"
      // Words 14 and 15, the nonce, are zero (a VEX write clears the rest).
      "vpxor %xmm14, %xmm14, %xmm14\n\t"
      "vpxor %xmm15, %xmm15, %xmm15\n\t"
      "mov $10, %eax\n\t"
      "11:\n\t"
      VF512_DOUBLE_ROUND
      "dec %eax\n\t"
      "jnz 11b\n\t"
      // Feed-forward (words 14 and 15 add zero).
      "vpaddd vf_avx512_sigma+0(%rip){1to16}, %zmm0, %zmm0\n\t"
      "vpaddd vf_avx512_sigma+4(%rip){1to16}, %zmm1, %zmm1\n\t"
      "vpaddd vf_avx512_sigma+8(%rip){1to16}, %zmm2, %zmm2\n\t"
      "vpaddd vf_avx512_sigma+12(%rip){1to16}, %zmm3, %zmm3\n\t"
      "vpaddd %zmm16, %zmm4, %zmm4\n\t"
      "vpaddd %zmm17, %zmm5, %zmm5\n\t"
      "vpaddd %zmm18, %zmm6, %zmm6\n\t"
      "vpaddd %zmm19, %zmm7, %zmm7\n\t"
      "vpaddd %zmm20, %zmm8, %zmm8\n\t"
      "vpaddd %zmm21, %zmm9, %zmm9\n\t"
      "vpaddd %zmm22, %zmm10, %zmm10\n\t"
      "vpaddd %zmm23, %zmm11, %zmm11\n\t"
      "vpaddd %zmm24, %zmm12, %zmm12\n\t"
      "vpaddd %zmm25, %zmm13, %zmm13\n\t"
      // From one word per register back to one block per 64 bytes.
      VF512_TRANSPOSE_GROUP(0, 1, 2, 3)
      VF512_TRANSPOSE_GROUP(4, 5, 6, 7)
      VF512_TRANSPOSE_GROUP(8, 9, 10, 11)
      VF512_TRANSPOSE_GROUP(12, 13, 14, 15)
      VF512_GATHER_AND_STORE(0, 4, 8, 12)
      VF512_GATHER_AND_STORE(1, 5, 9, 13)
      VF512_GATHER_AND_STORE(2, 6, 10, 14)
      VF512_GATHER_AND_STORE(3, 7, 11, 15)
      "cmp $16, %rcx\n\t"
      "jbe 20f\n\t"
      "add $16, %r9\n\t"
      "add $1024, %rdi\n\t"
      "sub $16, %rcx\n\t"
      "cmp $3, %rcx\n\t"
      "jae 10b\n\t"
      "jmp 50f\n\t"
      // The pass was the last: it wrote the rcx blocks left.
      "20:\n\t"
      "add %rcx, %r9\n\t"
      "jmp 90f\n\t"

      // ---- One or two blocks, row layout, one block per 128-bit lane. ----
      "50:\n\t"
      "vbroadcasti32x4 vf_avx512_sigma(%rip), %ymm0\n\t"
      "vbroadcasti32x4 0(%rsi), %ymm1\n\t"
      "vbroadcasti32x4 16(%rsi), %ymm2\n\t"
      // Row 3: counter and zero nonce in lane 0, counter + 1 in lane 1.
      "vmovq %r9, %xmm3\n\t"
      "lea 1(%r9), %rax\n\t"
      "vmovq %rax, %xmm4\n\t"
      "vinserti32x4 $1, %xmm4, %ymm3, %ymm3\n\t"
      VF_ROW_YMM_START
      VF_ROW_DOUBLE_ROUND_VPROLD("ymm")
      VF_ROW_YMM_FINISH("vextracti32x4")
      "add %rcx, %r9\n\t"

      "90:\n\t"
      "mov %r9, (%rdx)\n\t"
      // Leave no key or keystream behind in vector or mask registers.
      "vzeroall\n\t"
      VF_ZERO_HIGH16_ZMM
      "kxorw %k1, %k1, %k1\n\t"
      "99:\n\t"
      "ret\n\t");
}
