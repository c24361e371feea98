// Number formatting for the parser's messages.
#include "elf_bytes.h"

#include <cstdio>

namespace vdsoforge::elf_detail {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string byte_count(uint64_t size) {
  return (size < 10 ? std::to_string(size) : hex(size)) + (size == 1 ? " byte" : " bytes");
}

}  // namespace vdsoforge::elf_detail
