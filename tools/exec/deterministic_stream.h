// The byte source of `vdsoforge exec --deterministic SEED`: ChaCha20 keyed by
// the seed, one independent stretch of keystream per draw.
//
// Draw number D (counted from 0 over the whole tree, in the order the
// supervisor answers) is the keystream of ChaCha20 (the DJB variant the
// image uses: 64-bit block counter, zero nonce) with the key
// SEED as 8 little-endian bytes followed by 24 zero bytes, starting at block
// D * 2^32.  A draw may be as long as 2^32 blocks (256 GiB), far above the
// kernel's per-call maximum, so draws never overlap.  Anyone with the seed
// can recompute every byte a run was given; that is the point: this is for
// simulation and replay, never for secrets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vdsoforge::exec {

class DeterministicStream {
 public:
  explicit DeterministicStream(uint64_t seed);

  // Writes bytes [offset, offset + out.size()) of draw `draw` to `out`.
  // `offset` must be a multiple of 64 (callers fill large draws in chunks).
  void fill(uint64_t draw, uint64_t offset, std::span<uint8_t> out) const;

 private:
  uint8_t key_[32] = {};
};

// "1234", "0x4d2": the seed, or nullopt if the text is not an unsigned
// 64-bit number in decimal or 0x-hexadecimal.
std::optional<uint64_t> parse_seed(const std::string& text);

}  // namespace vdsoforge::exec
