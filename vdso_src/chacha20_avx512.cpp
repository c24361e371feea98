// Stackless AVX-512 ChaCha20: four blocks per iteration, for images built
// with VDSOFORGE_CHACHA_AVX512 (CPUs with AVX-512F and AVX-512VL only).
//
// Same contract and same keystream as the SSE2 routine.  Each 128-bit lane of
// zmm0-zmm3 holds one block's state rows (the SSE2 layout four times over,
// lane i at counter + i), so the round code is the SSE2 code widened, and
// vprold replaces the shift/shift/or rotates.  Blocks are stored lane by lane
// with vextracti32x4, which keeps them in counter order.  One to three blocks
// left over run one at a time in the xmm halves.  Like the SSE2 routine it
// is naked, touches neither rsp nor rbp, and clears every vector register it
// used (vzeroall: it only uses zmm0-zmm15) before returning.
// Arguments (SysV): rdi = dst, rsi = key, rdx = counter, rcx = nblocks.
#include "chacha20.h"

// One quarter round on a=4 b=5 c=6 d=7 of register width W (zmm or xmm).
#define VF_QR(W)                         \
  "vpaddd %" W "5, %" W "4, %" W "4\n\t"  \
  "vpxord %" W "4, %" W "7, %" W "7\n\t"  \
  "vprold $16, %" W "7, %" W "7\n\t"      \
  "vpaddd %" W "7, %" W "6, %" W "6\n\t"  \
  "vpxord %" W "6, %" W "5, %" W "5\n\t"  \
  "vprold $12, %" W "5, %" W "5\n\t"      \
  "vpaddd %" W "5, %" W "4, %" W "4\n\t"  \
  "vpxord %" W "4, %" W "7, %" W "7\n\t"  \
  "vprold $8, %" W "7, %" W "7\n\t"       \
  "vpaddd %" W "7, %" W "6, %" W "6\n\t"  \
  "vpxord %" W "6, %" W "5, %" W "5\n\t"  \
  "vprold $7, %" W "5, %" W "5\n\t"

// Ten double rounds on rows 4-7: column round, diagonalise, diagonal round,
// undo.  vpshufd shuffles within each 128-bit lane, i.e. within each block.
#define VF_ROUNDS(W, label)                   \
  "mov $10, %eax\n\t"                         \
  label ":\n\t"                               \
  VF_QR(W)                                    \
  "vpshufd $0x39, %" W "5, %" W "5\n\t"       \
  "vpshufd $0x4e, %" W "6, %" W "6\n\t"       \
  "vpshufd $0x93, %" W "7, %" W "7\n\t"       \
  VF_QR(W)                                    \
  "vpshufd $0x93, %" W "5, %" W "5\n\t"       \
  "vpshufd $0x4e, %" W "6, %" W "6\n\t"       \
  "vpshufd $0x39, %" W "7, %" W "7\n\t"       \
  "dec %eax\n\t"                              \
  "jnz " label "b\n\t"

// Store lane L of the four working rows as block L of this group.
#define VF_STORE_LANE(L, OFF)                        \
  "vextracti32x4 $" #L ", %zmm4, " #OFF "+0(%rdi)\n\t"  \
  "vextracti32x4 $" #L ", %zmm5, " #OFF "+16(%rdi)\n\t" \
  "vextracti32x4 $" #L ", %zmm6, " #OFF "+32(%rdi)\n\t" \
  "vextracti32x4 $" #L ", %zmm7, " #OFF "+48(%rdi)\n\t"

extern "C" [[gnu::naked]] void vdsoforge_chacha20_blocks_avx512(uint8_t*, const uint8_t*,
                                                                uint32_t*, size_t) {
  asm(
      "test %rcx, %rcx\n\t"
      "jz 9f\n\t"
      // Row 0 in every lane: "expand 32-byte k" from immediates.
      "movabs $0x3320646e61707865, %rax\n\t"
      "vmovq %rax, %xmm0\n\t"
      "movabs $0x6b20657479622d32, %rax\n\t"
      "vpinsrq $1, %rax, %xmm0, %xmm0\n\t"
      "vshufi32x4 $0, %zmm0, %zmm0, %zmm0\n\t"
      // Rows 1-2: the key in every lane.
      "vbroadcasti32x4 0(%rsi), %zmm1\n\t"
      "vbroadcasti32x4 16(%rsi), %zmm2\n\t"
      // Row 3: the 64-bit counter and a zero nonce in every lane ...
      "vmovq 0(%rdx), %xmm3\n\t"
      "vshufi32x4 $0, %zmm3, %zmm3, %zmm3\n\t"
      // ... then + i in lane i.  Words 0,0,1,0,2,0,3,0 zero-extended to
      // qwords give (0,0),(1,0),(2,0),(3,0): low qwords 0..3, high qwords 0.
      "movabs $0x0000000100000000, %rax\n\t"
      "vmovq %rax, %xmm9\n\t"
      "movabs $0x0000000300000002, %rax\n\t"
      "vpinsrq $1, %rax, %xmm9, %xmm9\n\t"
      "vpmovzxwq %xmm9, %zmm9\n\t"
      "vpaddq %zmm9, %zmm3, %zmm3\n\t"
      // zmm8: 4 in each lane's low qword, to step every lane by one group.
      "movabs $0x0000000400000004, %rax\n\t"
      "vpbroadcastq %rax, %xmm8\n\t"
      "vpmovzxwq %xmm8, %zmm8\n\t"
      "cmp $4, %rcx\n\t"
      "jb 5f\n\t"
      // Four blocks at a time.
      "1:\n\t"
      "vmovdqa64 %zmm0, %zmm4\n\t"
      "vmovdqa64 %zmm1, %zmm5\n\t"
      "vmovdqa64 %zmm2, %zmm6\n\t"
      "vmovdqa64 %zmm3, %zmm7\n\t"
      VF_ROUNDS("zmm", "2")
      "vpaddd %zmm0, %zmm4, %zmm4\n\t"
      "vpaddd %zmm1, %zmm5, %zmm5\n\t"
      "vpaddd %zmm2, %zmm6, %zmm6\n\t"
      "vpaddd %zmm3, %zmm7, %zmm7\n\t"
      VF_STORE_LANE(0, 0)
      VF_STORE_LANE(1, 64)
      VF_STORE_LANE(2, 128)
      VF_STORE_LANE(3, 192)
      "vpaddq %zmm8, %zmm3, %zmm3\n\t"
      "add $256, %rdi\n\t"
      "sub $4, %rcx\n\t"
      "cmp $4, %rcx\n\t"
      "jae 1b\n\t"
      // Lane 0 of row 3 now holds the next block's counter.
      "5:\n\t"
      "test %rcx, %rcx\n\t"
      "jz 8f\n\t"
      "mov $1, %eax\n\t"
      "vmovq %rax, %xmm10\n\t"
      "6:\n\t"
      "vmovdqa %xmm0, %xmm4\n\t"
      "vmovdqa %xmm1, %xmm5\n\t"
      "vmovdqa %xmm2, %xmm6\n\t"
      "vmovdqa %xmm3, %xmm7\n\t"
      VF_ROUNDS("xmm", "7")
      "vpaddd %xmm0, %xmm4, %xmm4\n\t"
      "vpaddd %xmm1, %xmm5, %xmm5\n\t"
      "vpaddd %xmm2, %xmm6, %xmm6\n\t"
      "vpaddd %xmm3, %xmm7, %xmm7\n\t"
      "vmovdqu %xmm4, 0(%rdi)\n\t"
      "vmovdqu %xmm5, 16(%rdi)\n\t"
      "vmovdqu %xmm6, 32(%rdi)\n\t"
      "vmovdqu %xmm7, 48(%rdi)\n\t"
      "vpaddq %xmm10, %xmm3, %xmm3\n\t"
      "add $64, %rdi\n\t"
      "dec %rcx\n\t"
      "jnz 6b\n\t"
      "8:\n\t"
      "vmovq %xmm3, 0(%rdx)\n\t"
      "vzeroall\n\t"
      "9:\n\t"
      "ret\n\t");
}
