// A small bounds-checked .symtab reader (see elf_symtab.h).
#include "vdsoforge/elf_symtab.h"

#include <elf.h>

#include <cstring>

#include "elf_bytes.h"

namespace vdsoforge {

using elf_detail::range_fits;

std::optional<FunctionCode> find_function_code(const ElfImage& image, std::string_view name,
                                               std::string& error) {
  const auto& sections = image.sections();
  const auto bytes = image.bytes();
  const Section* symtab = nullptr;
  for (const Section& s : sections) {
    if (s.type == SHT_SYMTAB) symtab = &s;
  }
  if (symtab == nullptr) {
    error = "no .symtab section (a stripped image? pass the unstripped --debug-image)";
    return std::nullopt;
  }
  if (symtab->size % sizeof(Elf64_Sym) != 0 ||
      !range_fits(symtab->offset, symtab->size, bytes.size())) {
    error = ".symtab at offset " + std::to_string(symtab->offset) + " has a bad size";
    return std::nullopt;
  }
  if (symtab->link >= sections.size() || sections[symtab->link].type != SHT_STRTAB ||
      !range_fits(sections[symtab->link].offset, sections[symtab->link].size, bytes.size())) {
    error = ".symtab's sh_link does not name a string table inside the file";
    return std::nullopt;
  }
  const Section& strtab = sections[symtab->link];

  for (uint64_t at = symtab->offset; at < symtab->offset + symtab->size; at += sizeof(Elf64_Sym)) {
    Elf64_Sym sym;
    std::memcpy(&sym, bytes.data() + at, sizeof sym);
    if (sym.st_name >= strtab.size) continue;
    const auto* text = reinterpret_cast<const char*>(bytes.data() + strtab.offset + sym.st_name);
    const size_t length = strnlen(text, strtab.size - sym.st_name);
    if (std::string_view(text, length) != name) continue;

    if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0) {
      error = "symbol " + std::string(name) + " is not a function with a size";
      return std::nullopt;
    }
    if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sections.size()) {
      error = "symbol " + std::string(name) + " is not defined in a section";
      return std::nullopt;
    }
    const Section& home = sections[sym.st_shndx];
    if (sym.st_value < home.addr || !range_fits(sym.st_value - home.addr, sym.st_size, home.size) ||
        home.type == SHT_NOBITS) {
      error = "symbol " + std::string(name) + " does not lie inside its section " + home.name;
      return std::nullopt;
    }
    const uint64_t file_offset = home.offset + (sym.st_value - home.addr);
    if (!range_fits(file_offset, sym.st_size, bytes.size())) {
      error = "the code of " + std::string(name) + " runs past the end of the file";
      return std::nullopt;
    }
    return FunctionCode{sym.st_value, file_offset, sym.st_size};
  }
  error = "no symbol " + std::string(name) + " in .symtab";
  return std::nullopt;
}

}  // namespace vdsoforge
