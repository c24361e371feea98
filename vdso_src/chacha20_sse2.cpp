// Stackless SSE2 ChaCha20, one block per iteration.
//
// The function is naked: the compiler adds no prologue, so the body below is
// every instruction that runs.  It touches rsp/rbp nowhere, pushes nothing,
// calls nothing and keeps the four state rows in xmm0-xmm3, the working rows in
// xmm4-xmm7, a rotate temporary in xmm8 and constants in xmm12/xmm13.  All of
// them are cleared before returning so no key material survives in registers
// the caller might spill.  Arguments (SysV): rdi = dst, rsi = key,
// rdx = counter, rcx = nblocks.
#include "chacha20.h"

// One ChaCha quarter round on four lanes at once: a=xmm4 b=xmm5 c=xmm6 d=xmm7.
// SSE2 has no vector rotate, so each rotate is shift-left, shift-right, or.
// (Basic asm in a naked function takes no operands, so '%' is written once.)
#define VF_ROTL(reg, n)              \
  "movdqa %" reg ", %xmm8\n\t"       \
  "pslld $" #n ", %" reg "\n\t"      \
  "psrld $(32-" #n "), %xmm8\n\t"    \
  "por %xmm8, %" reg "\n\t"

#define VF_QUARTER_ROUND          \
  "paddd %xmm5, %xmm4\n\t"        \
  "pxor %xmm4, %xmm7\n\t"         \
  VF_ROTL("xmm7", 16)             \
  "paddd %xmm7, %xmm6\n\t"        \
  "pxor %xmm6, %xmm5\n\t"         \
  VF_ROTL("xmm5", 12)             \
  "paddd %xmm5, %xmm4\n\t"        \
  "pxor %xmm4, %xmm7\n\t"         \
  VF_ROTL("xmm7", 8)              \
  "paddd %xmm7, %xmm6\n\t"        \
  "pxor %xmm6, %xmm5\n\t"         \
  VF_ROTL("xmm5", 7)

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks_sse2(uint8_t*, const uint8_t*, uint32_t*,
                                                              size_t) {
  asm(
      // Nothing to do for zero blocks; the loop below assumes at least one.
      "test %rcx, %rcx\n\t"
      "jz 3f\n\t"
      // Row 0: the constant "expand 32-byte k", built from immediates so the
      // routine needs no data of its own.
      "movabs $0x3320646e61707865, %rax\n\t"
      "movq %rax, %xmm0\n\t"
      "movabs $0x6b20657479622d32, %rax\n\t"
      "movq %rax, %xmm12\n\t"
      "punpcklqdq %xmm12, %xmm0\n\t"
      // Rows 1-2: the key.  Row 3: 64-bit counter, then a zero nonce (movq
      // clears the upper half).
      "movdqu 0(%rsi), %xmm1\n\t"
      "movdqu 16(%rsi), %xmm2\n\t"
      "movq 0(%rdx), %xmm3\n\t"
      // xmm13 = 1 in the low 64-bit lane: paddq then carries word 12 into 13.
      "mov $1, %eax\n\t"
      "movq %rax, %xmm13\n\t"
      "1:\n\t"
      "movdqa %xmm0, %xmm4\n\t"
      "movdqa %xmm1, %xmm5\n\t"
      "movdqa %xmm2, %xmm6\n\t"
      "movdqa %xmm3, %xmm7\n\t"
      "mov $10, %eax\n\t"
      "2:\n\t"
      // Column round.
      VF_QUARTER_ROUND
      // Rotate rows 1-3 so the diagonals line up in columns.
      "pshufd $0x39, %xmm5, %xmm5\n\t"
      "pshufd $0x4e, %xmm6, %xmm6\n\t"
      "pshufd $0x93, %xmm7, %xmm7\n\t"
      // Diagonal round.
      VF_QUARTER_ROUND
      // And back.
      "pshufd $0x93, %xmm5, %xmm5\n\t"
      "pshufd $0x4e, %xmm6, %xmm6\n\t"
      "pshufd $0x39, %xmm7, %xmm7\n\t"
      "dec %eax\n\t"
      "jnz 2b\n\t"
      // Feed-forward and store the block.
      "paddd %xmm0, %xmm4\n\t"
      "paddd %xmm1, %xmm5\n\t"
      "paddd %xmm2, %xmm6\n\t"
      "paddd %xmm3, %xmm7\n\t"
      "movdqu %xmm4, 0(%rdi)\n\t"
      "movdqu %xmm5, 16(%rdi)\n\t"
      "movdqu %xmm6, 32(%rdi)\n\t"
      "movdqu %xmm7, 48(%rdi)\n\t"
      "paddq %xmm13, %xmm3\n\t"
      "add $64, %rdi\n\t"
      "dec %rcx\n\t"
      "jnz 1b\n\t"
      "movq %xmm3, 0(%rdx)\n\t"
      // Leave no key or keystream in registers.
      "pxor %xmm0, %xmm0\n\t"
      "pxor %xmm1, %xmm1\n\t"
      "pxor %xmm2, %xmm2\n\t"
      "pxor %xmm3, %xmm3\n\t"
      "pxor %xmm4, %xmm4\n\t"
      "pxor %xmm5, %xmm5\n\t"
      "pxor %xmm6, %xmm6\n\t"
      "pxor %xmm7, %xmm7\n\t"
      "pxor %xmm8, %xmm8\n\t"
      "pxor %xmm12, %xmm12\n\t"
      "pxor %xmm13, %xmm13\n\t"
      "3:\n\t"
      "ret\n\t");
}
