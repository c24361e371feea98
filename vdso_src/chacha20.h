// ChaCha20 block generation for the image.
//
// The one entry point writes `nblocks` 64-byte ChaCha20 blocks (DJB layout:
// 64-bit block counter, zero nonce) for `key` starting at `counter`, and leaves
// the advanced counter behind.  Implementations must be stackless: key and
// keystream may only ever live in registers and `dst`, never on the stack,
// because a stack slot outlives the call and would leak the secret.
//
// Variants are chosen when the image is built; each keeps this signature, so a
// faster variant changes no ABI.  The default is SSE2, which every x86-64 CPU
// runs; VDSOFORGE_CHACHA_AVX512 selects the four-blocks-at-a-time AVX-512
// routine (AVX-512F + AVX-512VL CPUs only), which pays off for bulk requests.
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

// dst: nblocks * 64 bytes.  key: 32 bytes.  counter: two u32 words, low first,
// forming one 64-bit little-endian counter.  nblocks == 0 writes nothing.
[[gnu::visibility("hidden")]] void vdsoforge_chacha20_blocks_sse2(uint8_t* dst, const uint8_t* key,
                                                                  uint32_t* counter,
                                                                  size_t nblocks);
[[gnu::visibility("hidden")]] void vdsoforge_chacha20_blocks_avx512(uint8_t* dst,
                                                                    const uint8_t* key,
                                                                    uint32_t* counter,
                                                                    size_t nblocks);
}

namespace vdsoforge::image {

inline void chacha20_blocks(uint8_t* dst, const uint8_t* key, uint32_t* counter, size_t nblocks) {
#if defined(VDSOFORGE_CHACHA_AVX512)
  vdsoforge_chacha20_blocks_avx512(dst, key, counter, nblocks);
#else
  vdsoforge_chacha20_blocks_sse2(dst, key, counter, nblocks);
#endif
}

}  // namespace vdsoforge::image
