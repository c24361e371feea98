// What any ELF file says about itself, read without the vDSO rules.
//
// ElfImage refuses a file that breaks a rule; the tools still want to say
// what the file is instead: a 32-bit program, a program with an interpreter,
// a library with DT_NEEDED entries.  These readers take any ELF file and
// check every read against its bytes, as the parser does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

// The fields of e_ident and the header that 32- and 64-bit files share.
struct ElfFileKind {
  uint8_t elf_class;  // ELFCLASS32 or ELFCLASS64 (or anything else stored)
  uint16_t machine;   // e_machine, at the same offset in both classes
};

// The bytes of e_ident and e_type/e_machine: all read_elf_file_kind needs.
inline constexpr size_t kElfFileKindBytes = 20;

// nullopt unless `bytes` starts with the ELF magic and holds e_machine.
std::optional<ElfFileKind> read_elf_file_kind(std::span<const uint8_t> bytes);

// A 64-bit little-endian file's program headers and what they point to.
struct ElfOutline {
  uint16_t type;                    // e_type
  uint16_t program_header_count;    // e_phnum
  std::vector<Segment> loads;       // the PT_LOAD entries, in file order
  std::string interpreter;          // PT_INTERP; empty if none or unterminated
  std::vector<std::string> needed;  // DT_NEEDED names; empty where unreadable
};

// nullopt if `bytes` is not a 64-bit little-endian ELF file with
// Elf64_Phdr-sized program headers, or a program header runs off the end.
// The dynamic section is read up to DT_NULL or the first entry off the end.
std::optional<ElfOutline> read_elf_outline(std::span<const uint8_t> bytes);

}  // namespace vdsoforge
