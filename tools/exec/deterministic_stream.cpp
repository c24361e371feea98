#include "deterministic_stream.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "chacha20.h"

namespace vdsoforge::exec {

namespace {

constexpr size_t kBlockSize = 64;
constexpr size_t kBlocksPerRound = 16;  // 1 KiB of keystream per routine call

}  // namespace

DeterministicStream::DeterministicStream(uint64_t seed) {
  for (size_t i = 0; i < 8; ++i) key_[i] = static_cast<uint8_t>(seed >> (8 * i));
}

void DeterministicStream::fill(uint64_t draw, uint64_t offset, std::span<uint8_t> out) const {
  // The block counter: the draw in the high word, the block within it low.
  const uint64_t block = (draw << 32) + offset / kBlockSize;
  uint32_t counter[2] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32)};
  std::array<uint8_t, kBlockSize * kBlocksPerRound> keystream;
  size_t done = 0;
  while (done < out.size()) {
    const size_t wanted = std::min(out.size() - done, keystream.size());
    const size_t blocks = (wanted + kBlockSize - 1) / kBlockSize;
    image::chacha20_blocks(keystream.data(), key_, counter, blocks);
    std::memcpy(out.data() + done, keystream.data(), wanted);
    done += wanted;
  }
}

std::optional<uint64_t> parse_seed(const std::string& text) {
  // std::stoull would take a sign or leading blanks: only digits may start.
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  try {
    size_t used = 0;
    const bool hex = text.starts_with("0x") || text.starts_with("0X");
    const unsigned long long value = std::stoull(text, &used, hex ? 16 : 10);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;  // not a number, or out of range
  }
}

}  // namespace vdsoforge::exec
