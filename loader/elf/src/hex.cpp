#include "vdsoforge/hex.h"

#include <cstdio>

namespace vdsoforge {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string hex_bytes(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  char pair[4];
  for (uint8_t b : bytes) {
    std::snprintf(pair, sizeof pair, "%02x", b);
    out += pair;
  }
  return out;
}

std::string byte_count(uint64_t size) {
  return (size < 10 ? std::to_string(size) : hex(size)) + (size == 1 ? " byte" : " bytes");
}

}  // namespace vdsoforge
