// A deliberately plain ChaCha20 (DJB variant: 64-bit block counter, zero
// nonce) for the conformance suite.
//
// It shares nothing with the image's SSE2 routine: word-at-a-time C++, no
// intrinsics, no assembly, so an error in one is not repeated in the other.
// It is checked against libsodium before anything relies on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace conformance {

inline constexpr size_t kReferenceBlockSize = 64;

// Writes `nblocks` keystream blocks for `key` starting at block `counter` to
// `out` (nblocks * 64 bytes) and advances `counter` past them.
void reference_chacha20_blocks(std::span<uint8_t> out, std::span<const uint8_t, 32> key,
                               uint64_t& counter, size_t nblocks);

}  // namespace conformance
