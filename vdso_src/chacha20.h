// ChaCha20 block generation for the image.
//
// The one entry point writes `nblocks` 64-byte ChaCha20 blocks (DJB layout:
// 64-bit block counter, zero nonce) for `key` starting at `counter`, and leaves
// the advanced counter behind.  Implementations must be stackless: key and
// keystream may only ever live in registers and `dst`, never on the stack,
// because a stack slot outlives the call and would leak the secret.
//
// Variants are chosen when the image is built (VDSOFORGE_CHACHA_IMPL); each one
// keeps this signature, so a faster variant changes no ABI.  Today there is
// the SSE2 routine, which every x86-64 CPU runs.
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

// dst: nblocks * 64 bytes.  key: 32 bytes.  counter: two u32 words, low first,
// forming one 64-bit little-endian counter.  nblocks == 0 writes nothing.
[[gnu::visibility("hidden")]] void vdsoforge_chacha20_blocks_sse2(uint8_t* dst, const uint8_t* key,
                                                                  uint32_t* counter,
                                                                  size_t nblocks);
}

namespace vdsoforge::image {

inline void chacha20_blocks(uint8_t* dst, const uint8_t* key, uint32_t* counter, size_t nblocks) {
  vdsoforge_chacha20_blocks_sse2(dst, key, counter, nblocks);
}

}  // namespace vdsoforge::image
