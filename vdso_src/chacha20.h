// ChaCha20 block generation for the image.
//
// Every routine writes `nblocks` 64-byte ChaCha20 blocks (DJB layout: 64-bit
// block counter, zero nonce) for `key` starting at `counter`, and leaves the
// advanced counter behind.  Implementations must be stackless: key and
// keystream may only ever live in registers and `dst`, never on the stack,
// because a stack slot outlives the call and would leak the secret.
//
// The image carries three routines and calls them through one entry,
// vdsoforge_chacha20_blocks: a five-byte `jmp` to the SSE2 routine, which
// every x86-64 CPU runs, so the image works as linked.  The image's
// chacha20-routines note (chacha20_routines.h) tells a loader where that jump
// is and where the other routines start; the loader retargets the jump once,
// before the text becomes executable, to the fastest routine the CPU and OS
// support.  No CPU check ever runs in the call path.
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

// dst: nblocks * 64 bytes.  key: 32 bytes.  counter: two u32 words, low first,
// forming one 64-bit little-endian counter.  nblocks == 0 writes nothing.
// key may lie inside dst when nblocks <= 2 (the batch refill writes over its
// own key; every routine reads the key before storing the first block);
// otherwise dst must not overlap key or counter.  The AVX2 routine also uses
// the first 32 bytes of dst as scratch before it writes them.
#define VF_CHACHA20_ROUTINE(name)                                                              \
  [[gnu::visibility("hidden")]] void name(uint8_t* dst, const uint8_t* key, uint32_t* counter, \
                                          size_t nblocks)
VF_CHACHA20_ROUTINE(vdsoforge_chacha20_blocks);         // the load-time choice (default SSE2)
VF_CHACHA20_ROUTINE(vdsoforge_chacha20_blocks_sse2);    // every x86-64
VF_CHACHA20_ROUTINE(vdsoforge_chacha20_blocks_avx2);    // AVX2
VF_CHACHA20_ROUTINE(vdsoforge_chacha20_blocks_avx512);  // AVX-512F + AVX-512VL
#undef VF_CHACHA20_ROUTINE
}

namespace vdsoforge::image {

inline void chacha20_blocks(uint8_t* dst, const uint8_t* key, uint32_t* counter, size_t nblocks) {
  vdsoforge_chacha20_blocks(dst, key, counter, nblocks);
}

}  // namespace vdsoforge::image
