// Bounds-checked access to the raw bytes of an ELF image (private to the ELF layer).
//
// Every read in the parser goes through InputBytes: the range is checked with
// overflow-safe arithmetic first, then copied out with memcpy, so neither a
// hostile offset nor an unaligned field can fault or wrap around.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "vdsoforge/hex.h"

namespace vdsoforge::elf_detail {

static_assert(std::endian::native == std::endian::little,
              "the parser reads little-endian ELF fields directly");

// [offset, offset + size) lies inside [0, limit), without overflowing.
constexpr bool range_fits(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

class InputBytes {
 public:
  explicit InputBytes(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t size() const { return bytes_.size(); }
  bool contains(uint64_t offset, uint64_t size) const {
    return range_fits(offset, size, bytes_.size());
  }

  // Precondition: contains(offset, sizeof(T)).  Callers check first so each
  // failure can be reported with the name of the field that caused it.
  template <typename T>
  T read(uint64_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return value;
  }

  // Reads `sizeof(T)` bytes if they are inside the input; false otherwise.
  template <typename T>
  bool try_read(uint64_t offset, T& value) const {
    if (!contains(offset, sizeof(T))) return false;
    value = read<T>(offset);
    return true;
  }

  const uint8_t* data() const { return bytes_.data(); }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace vdsoforge::elf_detail
