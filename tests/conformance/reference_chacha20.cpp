#include "reference_chacha20.h"

#include <array>
#include <bit>
#include <stdexcept>

namespace conformance {
namespace {

using Words = std::array<uint32_t, 16>;

uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void quarter_round(Words& x, size_t a, size_t b, size_t c, size_t d) {
  x[a] += x[b];
  x[d] = std::rotl(x[d] ^ x[a], 16);
  x[c] += x[d];
  x[b] = std::rotl(x[b] ^ x[c], 12);
  x[a] += x[b];
  x[d] = std::rotl(x[d] ^ x[a], 8);
  x[c] += x[d];
  x[b] = std::rotl(x[b] ^ x[c], 7);
}

void one_block(uint8_t* out, std::span<const uint8_t, 32> key, uint64_t counter) {
  Words input{};
  // "expand 32-byte k" read as four little-endian words.
  input[0] = 0x61707865;
  input[1] = 0x3320646e;
  input[2] = 0x79622d32;
  input[3] = 0x6b206574;
  for (size_t i = 0; i < 8; ++i) input[4 + i] = load_le32(key.data() + 4 * i);
  input[12] = static_cast<uint32_t>(counter);
  input[13] = static_cast<uint32_t>(counter >> 32);
  input[14] = 0;  // the DJB variant's nonce; the vDSO always uses zero
  input[15] = 0;

  Words x = input;
  for (int double_round = 0; double_round < 10; ++double_round) {
    quarter_round(x, 0, 4, 8, 12);
    quarter_round(x, 1, 5, 9, 13);
    quarter_round(x, 2, 6, 10, 14);
    quarter_round(x, 3, 7, 11, 15);
    quarter_round(x, 0, 5, 10, 15);
    quarter_round(x, 1, 6, 11, 12);
    quarter_round(x, 2, 7, 8, 13);
    quarter_round(x, 3, 4, 9, 14);
  }
  for (size_t i = 0; i < 16; ++i) store_le32(out + 4 * i, x[i] + input[i]);
}

}  // namespace

void reference_chacha20_blocks(std::span<uint8_t> out, std::span<const uint8_t, 32> key,
                               uint64_t& counter, size_t nblocks) {
  if (out.size() < nblocks * kReferenceBlockSize)
    throw std::length_error("reference_chacha20_blocks: output too small");
  for (size_t i = 0; i < nblocks; ++i)
    one_block(out.data() + i * kReferenceBlockSize, key, counter++);
}

}  // namespace conformance
