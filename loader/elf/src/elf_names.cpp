#include "vdsoforge/elf_names.h"

#include <elf.h>

#include <cstdio>
#include <string_view>

#include "vdsoforge/vdso_rules.h"

namespace vdsoforge {

namespace {

// One <elf.h> value and the name reports print for it.
struct Named {
  uint64_t value;
  std::string_view name;
};

// Known values print as their name, anything else as the number, so an
// unexpected value is still shown exactly.
template <size_t N>
std::string name_in(const Named (&table)[N], uint64_t value) {
  for (const Named& entry : table) {
    if (entry.value == value) return std::string(entry.name);
  }
  return "unknown (" + hex(value) + ")";
}

constexpr Named kElfClasses[] = {
    {ELFCLASS32, "ELFCLASS32"},
    {ELFCLASS64, "ELFCLASS64"},
};

constexpr Named kElfData[] = {
    {ELFDATA2LSB, "ELFDATA2LSB (little endian)"},
    {ELFDATA2MSB, "ELFDATA2MSB (big endian)"},
};

constexpr Named kOsAbis[] = {
    {ELFOSABI_SYSV, "ELFOSABI_SYSV"},
    {ELFOSABI_GNU, "ELFOSABI_GNU"},
};

constexpr Named kMachines[] = {
    {EM_X86_64, "EM_X86_64"},
    {EM_386, "EM_386"},
    {EM_AARCH64, "EM_AARCH64"},
};

constexpr Named kObjectTypes[] = {
    {ET_REL, "ET_REL"},
    {ET_EXEC, "ET_EXEC"},
    {ET_DYN, "ET_DYN"},
    {ET_CORE, "ET_CORE"},
};

constexpr Named kSegmentTypes[] = {
    {PT_NULL, "PT_NULL"},
    {PT_LOAD, "PT_LOAD"},
    {PT_DYNAMIC, "PT_DYNAMIC"},
    {PT_INTERP, "PT_INTERP"},
    {PT_NOTE, "PT_NOTE"},
    {PT_PHDR, "PT_PHDR"},
    {PT_TLS, "PT_TLS"},
    {PT_GNU_EH_FRAME, "PT_GNU_EH_FRAME"},
    {PT_GNU_STACK, "PT_GNU_STACK"},
    {PT_GNU_RELRO, "PT_GNU_RELRO"},
    {PT_GNU_PROPERTY, "PT_GNU_PROPERTY"},
};

constexpr Named kBindings[] = {
    {STB_LOCAL, "LOCAL"},
    {STB_GLOBAL, "GLOBAL"},
    {STB_WEAK, "WEAK"},
    {STB_GNU_UNIQUE, "GNU_UNIQUE"},
};

constexpr Named kSymbolTypes[] = {
    {STT_NOTYPE, "NOTYPE"},       {STT_OBJECT, "OBJECT"}, {STT_FUNC, "FUNC"},
    {STT_SECTION, "SECTION"},     {STT_FILE, "FILE"},     {STT_TLS, "TLS"},
    {STT_GNU_IFUNC, "GNU_IFUNC"},
};

constexpr Named kVisibilities[] = {
    {STV_DEFAULT, "DEFAULT"},
    {STV_INTERNAL, "INTERNAL"},
    {STV_HIDDEN, "HIDDEN"},
    {STV_PROTECTED, "PROTECTED"},
};

}  // namespace

std::string elf_class_name(uint8_t value) { return name_in(kElfClasses, value); }

std::string elf_data_name(uint8_t value) { return name_in(kElfData, value); }

std::string elf_osabi_name(uint8_t value) { return name_in(kOsAbis, value); }

std::string elf_machine_name(uint16_t value) { return name_in(kMachines, value); }

std::string elf_type_name(uint16_t value) { return name_in(kObjectTypes, value); }

std::string segment_type_name(uint32_t type) { return name_in(kSegmentTypes, type); }

std::string segment_flags_name(uint32_t flags) {
  std::string out;
  const auto add = [&out](const char* part) {
    out += out.empty() ? part : std::string("+") + part;
  };
  if (flags & PF_R) add("R");
  if (flags & PF_W) add("W");
  if (flags & PF_X) add("X");
  const uint32_t other = flags & ~static_cast<uint32_t>(PF_R | PF_W | PF_X);
  if (other != 0) add(hex(other).c_str());
  return out.empty() ? "none" : out;
}

std::string dynamic_tag_name(int64_t tag) {
  const vdso_rules::DynamicTag* entry = vdso_rules::find_dynamic_tag(tag);
  return entry != nullptr ? std::string(entry->name)
                          : "unknown (" + hex(static_cast<uint64_t>(tag)) + ")";
}

std::string symbol_bind_name(uint8_t bind) { return name_in(kBindings, bind); }

std::string symbol_type_name(uint8_t type) { return name_in(kSymbolTypes, type); }

std::string symbol_visibility_name(uint8_t visibility) {
  return name_in(kVisibilities, visibility);
}

std::string symbol_version_text(const Symbol& symbol) {
  if (symbol.version.empty()) return "(unversioned)";
  return (symbol.is_default_version() ? "@@" : "@") + symbol.version;
}

std::optional<uint32_t> linux_version_code(const Note& note) {
  if (note.owner != "Linux" || note.type != 0 || note.desc.size() != 4) return std::nullopt;
  // ELF notes are in the file's byte order, little endian for x86-64.
  return static_cast<uint32_t>(note.desc[0]) | static_cast<uint32_t>(note.desc[1]) << 8 |
         static_cast<uint32_t>(note.desc[2]) << 16 | static_cast<uint32_t>(note.desc[3]) << 24;
}

std::string linux_version_text(uint32_t code) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "0x%06x (%u.%u.%u)", code, (code >> 16) & 0xffff,
                (code >> 8) & 0xff, code & 0xff);
  return buffer;
}

}  // namespace vdsoforge
