// Numbers as people read them in messages and reports, the one definition
// every layer uses so an address prints the same way everywhere.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vdsoforge {

// "0x1f40": lower-case, no padding.
std::string hex(uint64_t value);
// Lower-case hex digits, two per byte, no separators.
std::string hex_bytes(std::span<const uint8_t> bytes);
// "N bytes" below ten, "0xN bytes" from there on ("1 byte" for one).
std::string byte_count(uint64_t size);

}  // namespace vdsoforge
