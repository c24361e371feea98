// Stackless SSE2 ChaCha20: the kernel's algorithm, two blocks per iteration.
//
// The function is naked: the compiler adds no prologue, so the body below is
// every instruction that runs.  It touches rsp/rbp nowhere, pushes nothing,
// calls nothing and keeps the four state rows in xmm0-xmm3.  Pairs of blocks
// (the batch refill every small request pays is one pair) run as two
// interleaved row-layout blocks: working rows in xmm4-xmm7 and xmm8-xmm11,
// the second block's counter row in xmm15, rotate temporaries xmm12/xmm14.
// An odd last block runs alone in xmm4-xmm7.  xmm13 holds the counter step.
// All of them are cleared before returning so no key material survives in
// registers the caller might spill.  Arguments (SysV): rdi = dst, rsi = key,
// rdx = counter, rcx = nblocks.
#include "chacha20.h"

// SSE2 has no vector rotate, so each rotate is copy, shift-left, shift-right,
// or (through temporary t).  Register operands are numbers.
// Hand-laid instruction macros: one instruction group per line reads as assembly.
// clang-format off
#define VF_SSE_ROTL(r, n, t)              \
  "movdqa %xmm" #r ", %xmm" #t "\n\t"     \
  "pslld $" #n ", %xmm" #r "\n\t"         \
  "psrld $(32-" #n "), %xmm" #t "\n\t"    \
  "por %xmm" #t ", %xmm" #r "\n\t"
#define VF_SSE_ADD(a, b) "paddd %xmm" #b ", %xmm" #a "\n\t"
#define VF_SSE_XOR(a, b) "pxor %xmm" #b ", %xmm" #a "\n\t"

// One ChaCha quarter round on the four columns of rows a, b, c, d.
#define VF_SSE_QR(a, b, c, d, t)                             \
  VF_SSE_ADD(a, b) VF_SSE_XOR(d, a) VF_SSE_ROTL(d, 16, t)    \
  VF_SSE_ADD(c, d) VF_SSE_XOR(b, c) VF_SSE_ROTL(b, 12, t)    \
  VF_SSE_ADD(a, b) VF_SSE_XOR(d, a) VF_SSE_ROTL(d, 8, t)     \
  VF_SSE_ADD(c, d) VF_SSE_XOR(b, c) VF_SSE_ROTL(b, 7, t)

// Rotate rows b, c, d so the diagonals line up in columns, and back.
#define VF_SSE_DIAGONALIZE(b, c, d) \
  "pshufd $0x39, %xmm" #b ", %xmm" #b "\n\t" \
  "pshufd $0x4e, %xmm" #c ", %xmm" #c "\n\t" \
  "pshufd $0x93, %xmm" #d ", %xmm" #d "\n\t"
#define VF_SSE_UNDIAGONALIZE(b, c, d) \
  "pshufd $0x93, %xmm" #b ", %xmm" #b "\n\t" \
  "pshufd $0x4e, %xmm" #c ", %xmm" #c "\n\t" \
  "pshufd $0x39, %xmm" #d ", %xmm" #d "\n\t"

#define VF_SSE_STORE_BLOCK(a, b, c, d, off) \
  "movdqu %xmm" #a ", " #off "+0(%rdi)\n\t"  \
  "movdqu %xmm" #b ", " #off "+16(%rdi)\n\t" \
  "movdqu %xmm" #c ", " #off "+32(%rdi)\n\t" \
  "movdqu %xmm" #d ", " #off "+48(%rdi)\n\t"
// clang-format on

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks_sse2(uint8_t*, const uint8_t*, uint32_t*,
                                                              size_t) {
  asm(
      // Nothing to do for zero blocks; the loops below assume at least one.
      "test %rcx, %rcx\n\t"
      "jz 9f\n\t"
      // Row 0: the constant "expand 32-byte k", built from immediates so the
      // routine needs no data of its own.
      "movabs $0x3320646e61707865, %rax\n\t"
      "movq %rax, %xmm0\n\t"
      "movabs $0x6b20657479622d32, %rax\n\t"
      "movq %rax, %xmm12\n\t"
      "punpcklqdq %xmm12, %xmm0\n\t"
      // Rows 1-2: the key, read once before anything is written (the refill
      // writes over it).  Row 3: 64-bit counter, then a zero nonce (movq
      // clears the upper half).
      "movdqu 0(%rsi), %xmm1\n\t"
      "movdqu 16(%rsi), %xmm2\n\t"
      "movq 0(%rdx), %xmm3\n\t"
      // xmm13 = 1 in the low 64-bit lane: paddq then carries word 12 into 13.
      "mov $1, %eax\n\t"
      "movq %rax, %xmm13\n\t"
      "cmp $2, %rcx\n\t"
      "jb 5f\n\t"
      // Two blocks per iteration: block A in xmm4-7, block B (counter + 1)
      // in xmm8-11, their rounds interleaved.
      "1:\n\t"
      "movdqa %xmm3, %xmm15\n\t"
      "paddq %xmm13, %xmm15\n\t"
      "movdqa %xmm0, %xmm4\n\t"
      "movdqa %xmm1, %xmm5\n\t"
      "movdqa %xmm2, %xmm6\n\t"
      "movdqa %xmm3, %xmm7\n\t"
      "movdqa %xmm0, %xmm8\n\t"
      "movdqa %xmm1, %xmm9\n\t"
      "movdqa %xmm2, %xmm10\n\t"
      "movdqa %xmm15, %xmm11\n\t"
      "mov $10, %eax\n\t"
      "2:\n\t"
      VF_SSE_QR(4, 5, 6, 7, 12)
      VF_SSE_QR(8, 9, 10, 11, 14)
      VF_SSE_DIAGONALIZE(5, 6, 7)
      VF_SSE_DIAGONALIZE(9, 10, 11)
      VF_SSE_QR(4, 5, 6, 7, 12)
      VF_SSE_QR(8, 9, 10, 11, 14)
      VF_SSE_UNDIAGONALIZE(5, 6, 7)
      VF_SSE_UNDIAGONALIZE(9, 10, 11)
      "dec %eax\n\t"
      "jnz 2b\n\t"
      // Feed-forward and store both blocks.
      "paddd %xmm0, %xmm4\n\t"
      "paddd %xmm1, %xmm5\n\t"
      "paddd %xmm2, %xmm6\n\t"
      "paddd %xmm3, %xmm7\n\t"
      "paddd %xmm0, %xmm8\n\t"
      "paddd %xmm1, %xmm9\n\t"
      "paddd %xmm2, %xmm10\n\t"
      "paddd %xmm15, %xmm11\n\t"
      VF_SSE_STORE_BLOCK(4, 5, 6, 7, 0)
      VF_SSE_STORE_BLOCK(8, 9, 10, 11, 64)
      "paddq %xmm13, %xmm15\n\t"
      "movdqa %xmm15, %xmm3\n\t"
      "add $128, %rdi\n\t"
      "sub $2, %rcx\n\t"
      "cmp $2, %rcx\n\t"
      "jae 1b\n\t"
      "test %rcx, %rcx\n\t"
      "jz 8f\n\t"
      // The odd last block alone.
      "5:\n\t"
      "movdqa %xmm0, %xmm4\n\t"
      "movdqa %xmm1, %xmm5\n\t"
      "movdqa %xmm2, %xmm6\n\t"
      "movdqa %xmm3, %xmm7\n\t"
      "mov $10, %eax\n\t"
      "6:\n\t"
      VF_SSE_QR(4, 5, 6, 7, 12)
      VF_SSE_DIAGONALIZE(5, 6, 7)
      VF_SSE_QR(4, 5, 6, 7, 12)
      VF_SSE_UNDIAGONALIZE(5, 6, 7)
      "dec %eax\n\t"
      "jnz 6b\n\t"
      "paddd %xmm0, %xmm4\n\t"
      "paddd %xmm1, %xmm5\n\t"
      "paddd %xmm2, %xmm6\n\t"
      "paddd %xmm3, %xmm7\n\t"
      VF_SSE_STORE_BLOCK(4, 5, 6, 7, 0)
      "paddq %xmm13, %xmm3\n\t"
      "8:\n\t"
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
      "pxor %xmm9, %xmm9\n\t"
      "pxor %xmm10, %xmm10\n\t"
      "pxor %xmm11, %xmm11\n\t"
      "pxor %xmm12, %xmm12\n\t"
      "pxor %xmm13, %xmm13\n\t"
      "pxor %xmm14, %xmm14\n\t"
      "pxor %xmm15, %xmm15\n\t"
      "9:\n\t"
      "ret\n\t");
}
