#include "image_bytes.h"

#include <elf.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "skip.h"
#include "vdsoforge/kernel_vdso.h"

namespace test_support {

using vdsoforge::ElfImage;
using vdsoforge::Error;
using vdsoforge::ParseMode;

void require_inside(const Bytes& bytes, uint64_t offset, size_t size) {
  if (offset > bytes.size() || bytes.size() - offset < size) {
    throw std::out_of_range("the edit reaches past the image at offset " + std::to_string(offset));
  }
}

Bytes built_image() { return read_file(VDSOFORGE_TEST_IMAGE); }
Bytes built_debug_image() { return read_file(VDSOFORGE_TEST_DEBUG_IMAGE); }

std::string profile_image_path(std::string_view profile) {
  return std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) + "/vdsoforge-getrandom-" +
         std::string(profile) + ".so";
}

Bytes built_profile_image(std::string_view profile) {
  return read_file(profile_image_path(profile));
}

std::string kernel_fixture_path(std::string_view name) {
  return std::string(VDSOFORGE_TEST_FIXTURE_DIR) + "/" + std::string(name);
}

Bytes kernel_fixture(std::string_view name) { return read_file(kernel_fixture_path(name)); }

Bytes kernel_vdso() {
  Error err;
  const auto span = vdsoforge::kernel_vdso_bytes(err);
  if (span.empty()) vdsoforge_skip("the kernel maps no vDSO (no AT_SYSINFO_EHDR)");
  return Bytes(span.begin(), span.end());
}

ElfImage parse_valid(const Bytes& bytes) {
  vdsoforge::ElfError err;
  auto image = ElfImage::parse(bytes, ParseMode::strict, err);
  INFO(err.message);
  REQUIRE(image.has_value());
  return std::move(*image);
}

uint64_t dynamic_entry_offset(const Bytes& bytes, int64_t tag) {
  // Read raw (not through the parser) so editors still work on an image that
  // earlier edits have already made invalid.
  const uint64_t ph = program_header_offset(bytes, PT_DYNAMIC);
  const auto offset = get<uint64_t>(bytes, ph + 8);
  const auto size = get<uint64_t>(bytes, ph + 32);
  for (uint64_t at = offset; at + sizeof(Elf64_Dyn) <= offset + size; at += sizeof(Elf64_Dyn)) {
    if (get<int64_t>(bytes, at) == tag) return at;
  }
  FAIL("no dynamic tag " << tag);
  return 0;
}

uint64_t dynamic_value(const Bytes& bytes, int64_t tag) {
  return get<uint64_t>(bytes, dynamic_entry_offset(bytes, tag) + 8);
}

void retag_dynamic(Bytes& bytes, int64_t from, int64_t to, uint64_t value) {
  const uint64_t at = dynamic_entry_offset(bytes, from);
  put<int64_t>(bytes, at, to);
  put<uint64_t>(bytes, at + 8, value);
}

uint64_t program_header_offset(const Bytes& bytes, uint32_t type) {
  const auto eh = get<Elf64_Ehdr>(bytes, 0);
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const uint64_t at = eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr);
    if (get<uint32_t>(bytes, at) == type) return at;
  }
  FAIL("no program header of type " << type);
  return 0;
}

// Read raw; the count comes from DT_HASH's nchain.
uint64_t dynsym_index(const Bytes& bytes, std::string_view name) {
  const uint64_t symtab = dynamic_value(bytes, DT_SYMTAB);
  const uint64_t strtab = dynamic_value(bytes, DT_STRTAB);
  const auto count = get<uint32_t>(bytes, dynamic_value(bytes, DT_HASH) + 4);
  for (uint64_t i = 1; i < count; ++i) {
    const auto sym = get<Elf64_Sym>(bytes, symtab + i * sizeof(Elf64_Sym));
    if (reinterpret_cast<const char*>(bytes.data() + strtab + sym.st_name) == name) return i;
  }
  FAIL("no dynamic symbol " << name);
  return 0;
}

uint64_t dynsym_offset(const Bytes& bytes, std::string_view name) {
  return dynamic_value(bytes, DT_SYMTAB) + dynsym_index(bytes, name) * sizeof(Elf64_Sym);
}

uint64_t versym_offset(const Bytes& bytes, std::string_view name) {
  return dynamic_value(bytes, DT_VERSYM) + dynsym_index(bytes, name) * sizeof(Elf64_Versym);
}

uint64_t verdef_offset(const Bytes& bytes, unsigned index) {
  uint64_t at = dynamic_value(bytes, DT_VERDEF);
  for (unsigned i = 0; i < index; ++i) at += get<Elf64_Verdef>(bytes, at).vd_next;
  return at;
}

uint64_t verdef_offset(const Bytes& bytes, std::string_view name) {
  const uint64_t strtab = dynamic_value(bytes, DT_STRTAB);
  uint64_t at = dynamic_value(bytes, DT_VERDEF);
  for (;;) {
    const auto def = get<Elf64_Verdef>(bytes, at);
    const auto aux = get<Elf64_Verdaux>(bytes, at + def.vd_aux);
    if (reinterpret_cast<const char*>(bytes.data() + strtab + aux.vda_name) == name) return at;
    if (def.vd_next == 0) break;
    at += def.vd_next;
  }
  FAIL("no version definition " << name);
  return 0;
}

uint64_t data_layout_desc_offset(const Bytes& bytes) {
  const uint64_t ph = program_header_offset(bytes, PT_NOTE);
  const auto offset = get<uint64_t>(bytes, ph + 8);
  const auto size = get<uint64_t>(bytes, ph + 32);
  // Records: 12-byte header, name and descriptor each padded to 4 bytes.
  for (uint64_t at = offset; at + 12 <= offset + size;) {
    const auto header = get<Elf64_Nhdr>(bytes, at);
    const uint64_t name_size = (header.n_namesz + 3) & ~3u;
    if (header.n_type == 1 &&
        std::string_view(reinterpret_cast<const char*>(bytes.data() + at + 12)) == "vdsoforge") {
      return at + 12 + name_size;
    }
    at += 12 + name_size + ((header.n_descsz + 3) & ~3u);
  }
  FAIL("no vdsoforge data-layout note");
  return 0;
}

uint64_t dynstr_offset(const Bytes& bytes, std::string_view text) {
  const uint64_t strtab = dynamic_value(bytes, DT_STRTAB);
  const uint64_t size = dynamic_value(bytes, DT_STRSZ);
  const std::string needle = std::string(text) + '\0';
  const std::string_view table(reinterpret_cast<const char*>(bytes.data() + strtab), size);
  // A match must start a string (follow a NUL), not end a longer one.
  for (size_t pos = table.find(needle); pos != std::string_view::npos;
       pos = table.find(needle, pos + 1)) {
    if (pos == 0 || table[pos - 1] == '\0') return strtab + pos;
  }
  FAIL("no string " << text << " in DT_STRTAB");
  return 0;
}

void set_dynsym_first_global(Bytes& bytes, uint32_t index) {
  const auto header = get<Elf64_Ehdr>(bytes, 0);
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    const uint64_t at = header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr);
    auto section = get<Elf64_Shdr>(bytes, at);
    if (section.sh_type != SHT_DYNSYM) continue;
    section.sh_info = index;
    put(bytes, at, section);
    return;
  }
  FAIL("the image has no .dynsym section header");
}

FunctionBytes function_bytes(const Bytes& bytes, std::string_view name) {
  const uint64_t sym = dynsym_offset(bytes, name);
  return {get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_value)),
          get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_size))};
}

int move_rip_operands(Bytes& bytes, FunctionBytes fn, uint64_t from, uint64_t to) {
  int moved = 0;
  for (uint64_t p = fn.offset; p + 4 <= fn.offset + fn.size; ++p) {
    const int64_t end = static_cast<int64_t>(p + 4);
    if (end + get<int32_t>(bytes, p) != -static_cast<int64_t>(from)) continue;
    put(bytes, p, static_cast<int32_t>(-static_cast<int64_t>(to) - end));
    ++moved;
  }
  return moved;
}

int replace_int32(Bytes& bytes, FunctionBytes fn, int32_t from, int32_t to) {
  int replaced = 0;
  for (uint64_t p = fn.offset; p + 4 <= fn.offset + fn.size; ++p) {
    if (get<int32_t>(bytes, p) != from) continue;
    put(bytes, p, to);
    ++replaced;
  }
  return replaced;
}

void move_time_reads_one_page_up(Bytes& bytes, uint64_t record0) {
  // The clock mode (record + 4) is compared RIP-relative; basetime's
  // seconds (record + 40) are read from the image base plus a displacement.
  const FunctionBytes time = function_bytes(bytes, "__vdso_time");
  REQUIRE(move_rip_operands(bytes, time, record0 - 4, record0 - 0x1000 - 4) == 1);
  REQUIRE(replace_int32(bytes, time, -static_cast<int32_t>(record0 - 40),
                        -static_cast<int32_t>(record0 - 0x1000 - 40)) == 1);
}

void move_getres_tail_up(Bytes& bytes, uint64_t record0) {
  const FunctionBytes getres = function_bytes(bytes, "__vdso_clock_getres");
  // The probe is read for the hres and the auxiliary clocks alike.
  REQUIRE(replace_int32(bytes, getres, -static_cast<int32_t>(record0 - 2328),
                        -static_cast<int32_t>(record0 - 2344)) == 2);
  REQUIRE(replace_int32(bytes, getres, 2320, 2336) == 1);
}

}  // namespace test_support
