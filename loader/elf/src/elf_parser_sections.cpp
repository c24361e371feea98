// ElfParser: section headers.  Optional (a vDSO is used through its program
// headers and dynamic section), but when present they must be in the file:
// they are the last thing in a stripped image, so this is where truncation at
// the end of the file is caught.
#include <elf.h>

#include <cstring>

#include "elf_parser.h"

namespace vdsoforge {

bool ElfParser::parse_sections() {
  const uint16_t shnum = image_.identity_.shnum;
  // e_shnum 0 means no section headers (or extended numbering, which a vDSO
  // never needs); either way there is nothing to read.
  if (shnum == 0) return true;
  if (shentsize_ != sizeof(Elf64_Shdr)) {
    return fail(Errc::bad_header,
                "e_shentsize at offset 0x3a is " + std::to_string(shentsize_) + ", expected 64");
  }
  const uint64_t table_size = uint64_t{shnum} * sizeof(Elf64_Shdr);
  if (!in_.contains(shoff_, table_size)) {
    return fail(Errc::truncated, "section header table at offset " + hex(shoff_) + " (e_shoff, " +
                                     std::to_string(shnum) + " entries, " + byte_count(table_size) +
                                     ") runs past the end of the " + hex(in_.size()) +
                                     "-byte image");
  }
  if (shoff_ < sizeof(Elf64_Ehdr)) {
    return fail(Errc::bad_header, "section header table at offset " + hex(shoff_) +
                                      " (e_shoff) overlaps the ELF header");
  }
  if (shstrndx_ != SHN_UNDEF && shstrndx_ >= shnum) {
    return fail(Errc::bad_header, "e_shstrndx at offset 0x3e is " + std::to_string(shstrndx_) +
                                      ", not below e_shnum " + std::to_string(shnum));
  }
  std::vector<Elf64_Shdr> headers(shnum);
  for (uint16_t i = 0; i < shnum; ++i) {
    headers[i] = in_.read<Elf64_Shdr>(shoff_ + uint64_t{i} * sizeof(Elf64_Shdr));
    const Elf64_Shdr& sh = headers[i];
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
        !in_.contains(sh.sh_offset, sh.sh_size)) {
      return fail(Errc::truncated, "section " + std::to_string(i) + " at offset " +
                                       hex(sh.sh_offset) + " (" + byte_count(sh.sh_size) +
                                       ") runs past the end of the " + hex(in_.size()) +
                                       "-byte image");
    }
  }
  const Elf64_Shdr* names = shstrndx_ != SHN_UNDEF ? &headers[shstrndx_] : nullptr;
  for (uint16_t i = 0; i < shnum; ++i) {
    const Elf64_Shdr& sh = headers[i];
    Section section{};
    if (names != nullptr && names->sh_type == SHT_STRTAB) {
      if (sh.sh_name >= names->sh_size) {
        return fail(Errc::bad_header, "section " + std::to_string(i) + ": sh_name " +
                                          hex(sh.sh_name) +
                                          " is past the end of the section name table (" +
                                          byte_count(names->sh_size) + ")");
      }
      const auto* begin = reinterpret_cast<const char*>(in_.data() + names->sh_offset + sh.sh_name);
      const uint64_t room = names->sh_size - sh.sh_name;
      const size_t length = strnlen(begin, room);
      if (length == room) {
        return fail(Errc::bad_header, "section " + std::to_string(i) +
                                          ": its name is not NUL-terminated inside the section "
                                          "name table");
      }
      section.name.assign(begin, length);
    }
    section.type = sh.sh_type;
    section.flags = sh.sh_flags;
    section.addr = sh.sh_addr;
    section.offset = sh.sh_offset;
    section.size = sh.sh_size;
    section.link = sh.sh_link;
    section.entsize = sh.sh_entsize;
    section.info = sh.sh_info;
    image_.sections_.push_back(std::move(section));
  }
  return true;
}

}  // namespace vdsoforge
