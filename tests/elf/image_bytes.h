// Test helpers: the built image and the kernel vDSO as byte vectors, and
// small editors that find a field by meaning (a dynamic tag, a program header
// type, a symbol) so mutations stay correct when the image's layout changes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_image.h"

namespace elf_test {

using Bytes = std::vector<uint8_t>;

Bytes read_file(const std::string& path);
Bytes built_image();        // VDSOFORGE_TEST_IMAGE
Bytes built_debug_image();  // VDSOFORGE_TEST_DEBUG_IMAGE
// The image built for a kernel profile ("linux-6.11"): its path and bytes.
std::string profile_image_path(std::string_view profile);
Bytes built_profile_image(std::string_view profile);
Bytes kernel_vdso();  // a copy; skips the test if the kernel maps no vDSO
void write_file(const std::string& path, const Bytes& bytes);

template <typename T>
T get(const Bytes& bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

template <typename T>
void put(Bytes& bytes, uint64_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// Parses `bytes` strictly; fails the test (with the parser's message) if it
// cannot, since every editor below starts from a valid image.
vdsoforge::ElfImage parse_valid(const Bytes& bytes);

// File offset of the first dynamic entry with `tag`; fails the test if none.
uint64_t dynamic_entry_offset(const Bytes& bytes, int64_t tag);
// Value of dynamic tag `tag` (the image maps offset == address).
uint64_t dynamic_value(const Bytes& bytes, int64_t tag);
// Replaces the first dynamic entry with tag `from` by (to, value).
void retag_dynamic(Bytes& bytes, int64_t from, int64_t to, uint64_t value);
// File offset of the first program header of type `type`.
uint64_t program_header_offset(const Bytes& bytes, uint32_t type);
// File offset of the .dynsym entry of `name`.
uint64_t dynsym_offset(const Bytes& bytes, std::string_view name);
// Rebinds the .dynsym symbol `name` (STB_LOCAL, STB_GLOBAL ...), keeping its type.
void set_symbol_bind(Bytes& bytes, std::string_view name, uint8_t bind);
// Sets sh_info of the .dynsym section header: the index of the first non-LOCAL symbol.
void set_dynsym_first_global(Bytes& bytes, uint32_t index);
// File offset of the DT_VERSYM entry of `name`.
uint64_t versym_offset(const Bytes& bytes, std::string_view name);
// File offset of the i-th DT_VERDEF entry.
uint64_t verdef_offset(const Bytes& bytes, unsigned index);
// File offset of the descriptor of the vdsoforge data-layout note.
uint64_t data_layout_desc_offset(const Bytes& bytes);
// File offset of the string `text` (with its NUL) inside DT_STRTAB.
uint64_t dynstr_offset(const Bytes& bytes, std::string_view text);

}  // namespace elf_test
