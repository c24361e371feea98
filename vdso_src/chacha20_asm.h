// Building blocks of the stackless ChaCha20 routines, as text for basic asm.
//
// Register operands are numbers; W is the register width prefix ("xmm",
// "ymm" or "zmm").  Basic asm in a naked function takes no operands, so '%'
// is written once.
#pragma once

// a += b, a ^= b, a <<<= n (AVX-512 vprold; VL for ymm/xmm).
// Hand-laid instruction macros: one instruction group per line reads as assembly.
// clang-format off
#define VF_VADD(W, a, b) "vpaddd %" W #b ", %" W #a ", %" W #a "\n\t"
#define VF_VXOR(W, a, b) "vpxor %" W #b ", %" W #a ", %" W #a "\n\t"
#define VF_VXORD(W, a, b) "vpxord %" W #b ", %" W #a ", %" W #a "\n\t"
#define VF_VPROLD(W, a, n) "vprold $" #n ", %" W #a ", %" W #a "\n\t"

// Four independent quarter rounds (a_i, b_i, c_i, d_i), interleaved step by
// step so the CPU sees four dependency chains at once.
#define VF_STEP4(OP, W, x0, y0, x1, y1, x2, y2, x3, y3) \
  OP(W, x0, y0) OP(W, x1, y1) OP(W, x2, y2) OP(W, x3, y3)
#define VF_QR4_VPROLD(W, a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3) \
  VF_STEP4(VF_VADD, W, a0, b0, a1, b1, a2, b2, a3, b3)                                  \
  VF_STEP4(VF_VXORD, W, d0, a0, d1, a1, d2, a2, d3, a3)                                 \
  VF_STEP4(VF_VPROLD, W, d0, 16, d1, 16, d2, 16, d3, 16)                                \
  VF_STEP4(VF_VADD, W, c0, d0, c1, d1, c2, d2, c3, d3)                                  \
  VF_STEP4(VF_VXORD, W, b0, c0, b1, c1, b2, c2, b3, c3)                                 \
  VF_STEP4(VF_VPROLD, W, b0, 12, b1, 12, b2, 12, b3, 12)                                \
  VF_STEP4(VF_VADD, W, a0, b0, a1, b1, a2, b2, a3, b3)                                  \
  VF_STEP4(VF_VXORD, W, d0, a0, d1, a1, d2, a2, d3, a3)                                 \
  VF_STEP4(VF_VPROLD, W, d0, 8, d1, 8, d2, 8, d3, 8)                                    \
  VF_STEP4(VF_VADD, W, c0, d0, c1, d1, c2, d2, c3, d3)                                  \
  VF_STEP4(VF_VXORD, W, b0, c0, b1, c1, b2, c2, b3, c3)                                 \
  VF_STEP4(VF_VPROLD, W, b0, 7, b1, 7, b2, 7, b3, 7)

// Row layout (one block per 128-bit lane, rows in registers 4-7): one double
// round.  The column round works on whole rows; vpshufd then turns the
// diagonals into columns within each lane, and back afterwards.
#define VF_ROW_DIAGONALIZE(W)                 \
  "vpshufd $0x39, %" W "5, %" W "5\n\t"       \
  "vpshufd $0x4e, %" W "6, %" W "6\n\t"       \
  "vpshufd $0x93, %" W "7, %" W "7\n\t"
#define VF_ROW_UNDIAGONALIZE(W)               \
  "vpshufd $0x93, %" W "5, %" W "5\n\t"       \
  "vpshufd $0x4e, %" W "6, %" W "6\n\t"       \
  "vpshufd $0x39, %" W "7, %" W "7\n\t"
#define VF_ROW_QR_VPROLD(W)                   \
  VF_VADD(W, 4, 5) VF_VXORD(W, 7, 4) VF_VPROLD(W, 7, 16) \
  VF_VADD(W, 6, 7) VF_VXORD(W, 5, 6) VF_VPROLD(W, 5, 12) \
  VF_VADD(W, 4, 5) VF_VXORD(W, 7, 4) VF_VPROLD(W, 7, 8)  \
  VF_VADD(W, 6, 7) VF_VXORD(W, 5, 6) VF_VPROLD(W, 5, 7)
#define VF_ROW_DOUBLE_ROUND_VPROLD(W) \
  VF_ROW_QR_VPROLD(W) VF_ROW_DIAGONALIZE(W) VF_ROW_QR_VPROLD(W) VF_ROW_UNDIAGONALIZE(W)

// The one- or two-block tail of the AVX2 and AVX-512 routines, row layout in
// ymm (block 0 in lane 0, block 1 in lane 1; input rows in ymm0-3).  START
// copies the input into the working rows ymm4-7 and opens the 10 double-round
// loop (label 51, count in eax); the routine's own double round follows, then
// FINISH closes the loop, adds the input back and stores block 0, and block
// 1 when rcx >= 2, extracting lane 1 with EXTRACT (vextracti128 on AVX2,
// vextracti32x4 on AVX-512).  Ends at label 52.
#define VF_ROW_YMM_START                      \
  "vmovdqa %ymm0, %ymm4\n\t"                   \
  "vmovdqa %ymm1, %ymm5\n\t"                   \
  "vmovdqa %ymm2, %ymm6\n\t"                   \
  "vmovdqa %ymm3, %ymm7\n\t"                   \
  "mov $10, %eax\n\t"                          \
  "51:\n\t"
#define VF_ROW_YMM_FINISH(EXTRACT)            \
  "dec %eax\n\t"                               \
  "jnz 51b\n\t"                                \
  "vpaddd %ymm0, %ymm4, %ymm4\n\t"             \
  "vpaddd %ymm1, %ymm5, %ymm5\n\t"             \
  "vpaddd %ymm2, %ymm6, %ymm6\n\t"             \
  "vpaddd %ymm3, %ymm7, %ymm7\n\t"             \
  "vmovdqu %xmm4, 0(%rdi)\n\t"                 \
  "vmovdqu %xmm5, 16(%rdi)\n\t"                \
  "vmovdqu %xmm6, 32(%rdi)\n\t"                \
  "vmovdqu %xmm7, 48(%rdi)\n\t"                \
  "cmp $2, %rcx\n\t"                           \
  "jb 52f\n\t"                                 \
  EXTRACT " $1, %ymm4, 64(%rdi)\n\t"           \
  EXTRACT " $1, %ymm5, 80(%rdi)\n\t"           \
  EXTRACT " $1, %ymm6, 96(%rdi)\n\t"           \
  EXTRACT " $1, %ymm7, 112(%rdi)\n\t"          \
  "52:\n\t"

// AVX2 has no vector rotate: 16 and 8 are byte shuffles (masks in .rodata,
// named by the routine), 12 and 7 are shift, shift, or through temporary t.
#define VF_ROT_SHUFFLE(W, a, mask) "vpshufb " mask "(%rip), %" W #a ", %" W #a "\n\t"
#define VF_ROT_SHIFT(W, a, n, t)                  \
  "vpslld $" #n ", %" W #a ", %" W #t "\n\t"      \
  "vpsrld $(32-" #n "), %" W #a ", %" W #a "\n\t" \
  "vpor %" W #t ", %" W #a ", %" W #a "\n\t"

// Zeroes zmm16-31 (a VEX/EVEX write to the xmm view clears the whole
// register); vzeroall covers only zmm0-15.
#define VF_ZERO_HIGH16_ZMM                                                    \
  "vpxord %xmm16, %xmm16, %xmm16\n\t" "vpxord %xmm17, %xmm17, %xmm17\n\t"     \
  "vpxord %xmm18, %xmm18, %xmm18\n\t" "vpxord %xmm19, %xmm19, %xmm19\n\t"     \
  "vpxord %xmm20, %xmm20, %xmm20\n\t" "vpxord %xmm21, %xmm21, %xmm21\n\t"     \
  "vpxord %xmm22, %xmm22, %xmm22\n\t" "vpxord %xmm23, %xmm23, %xmm23\n\t"     \
  "vpxord %xmm24, %xmm24, %xmm24\n\t" "vpxord %xmm25, %xmm25, %xmm25\n\t"     \
  "vpxord %xmm26, %xmm26, %xmm26\n\t" "vpxord %xmm27, %xmm27, %xmm27\n\t"     \
  "vpxord %xmm28, %xmm28, %xmm28\n\t" "vpxord %xmm29, %xmm29, %xmm29\n\t"     \
  "vpxord %xmm30, %xmm30, %xmm30\n\t" "vpxord %xmm31, %xmm31, %xmm31\n\t"
// clang-format on
