// Readable names for the ELF constants the abi, dump and embed commands print
// (ELFCLASS64, ET_DYN, R+X, GLOBAL ...), so reports show the values a person
// would look up in readelf rather than bare numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/hex.h"

namespace vdsoforge {

std::string elf_class_name(uint8_t value);
std::string elf_data_name(uint8_t value);
std::string elf_osabi_name(uint8_t value);
std::string elf_machine_name(uint16_t value);
std::string elf_type_name(uint16_t value);
std::string segment_type_name(uint32_t type);
std::string segment_flags_name(uint32_t flags);  // "R+X", "R+W", "none"
std::string dynamic_tag_name(int64_t tag);
std::string symbol_bind_name(uint8_t bind);
std::string symbol_type_name(uint8_t type);
std::string symbol_visibility_name(uint8_t visibility);
// "@@LINUX_2.6" (default version), "@LINUX_2.6" (hidden), "(unversioned)".
std::string symbol_version_text(const Symbol& symbol);
// The LINUX_VERSION_CODE a "Linux" type-0 note carries; nullopt for any
// other note or a descriptor that is not exactly 4 bytes.
std::optional<uint32_t> linux_version_code(const Note& note);
// "0x060b00 (6.11.0)" from a LINUX_VERSION_CODE.
std::string linux_version_text(uint32_t code);

}  // namespace vdsoforge
