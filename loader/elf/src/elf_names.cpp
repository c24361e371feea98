#include "vdsoforge/elf_names.h"

#include <elf.h>

#include <cstdio>

#include "vdsoforge/vdso_rules.h"

namespace vdsoforge {

namespace {

// Known values print as their <elf.h> name, anything else as the number, so
// an unexpected value is still shown exactly.
std::string named_or_number(const char* name, uint64_t value) {
  return name != nullptr ? std::string(name) : "unknown (" + hex(value) + ")";
}

}  // namespace

std::string elf_class_name(uint8_t value) {
  switch (value) {
    case ELFCLASS32:
      return "ELFCLASS32";
    case ELFCLASS64:
      return "ELFCLASS64";
    default:
      return named_or_number(nullptr, value);
  }
}

std::string elf_data_name(uint8_t value) {
  switch (value) {
    case ELFDATA2LSB:
      return "ELFDATA2LSB (little endian)";
    case ELFDATA2MSB:
      return "ELFDATA2MSB (big endian)";
    default:
      return named_or_number(nullptr, value);
  }
}

std::string elf_osabi_name(uint8_t value) {
  switch (value) {
    case ELFOSABI_SYSV:
      return "ELFOSABI_SYSV";
    case ELFOSABI_GNU:
      return "ELFOSABI_GNU";
    default:
      return named_or_number(nullptr, value);
  }
}

std::string elf_machine_name(uint16_t value) {
  switch (value) {
    case EM_X86_64:
      return "EM_X86_64";
    case EM_386:
      return "EM_386";
    case EM_AARCH64:
      return "EM_AARCH64";
    default:
      return named_or_number(nullptr, value);
  }
}

std::string elf_type_name(uint16_t value) {
  switch (value) {
    case ET_REL:
      return "ET_REL";
    case ET_EXEC:
      return "ET_EXEC";
    case ET_DYN:
      return "ET_DYN";
    case ET_CORE:
      return "ET_CORE";
    default:
      return named_or_number(nullptr, value);
  }
}

std::string segment_type_name(uint32_t type) {
  switch (type) {
    case PT_NULL:
      return "PT_NULL";
    case PT_LOAD:
      return "PT_LOAD";
    case PT_DYNAMIC:
      return "PT_DYNAMIC";
    case PT_INTERP:
      return "PT_INTERP";
    case PT_NOTE:
      return "PT_NOTE";
    case PT_PHDR:
      return "PT_PHDR";
    case PT_TLS:
      return "PT_TLS";
    case PT_GNU_EH_FRAME:
      return "PT_GNU_EH_FRAME";
    case PT_GNU_STACK:
      return "PT_GNU_STACK";
    case PT_GNU_RELRO:
      return "PT_GNU_RELRO";
    case PT_GNU_PROPERTY:
      return "PT_GNU_PROPERTY";
    default:
      return named_or_number(nullptr, type);
  }
}

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
  return named_or_number(entry ? entry->name.data() : nullptr, static_cast<uint64_t>(tag));
}

std::string symbol_bind_name(uint8_t bind) {
  switch (bind) {
    case STB_LOCAL:
      return "LOCAL";
    case STB_GLOBAL:
      return "GLOBAL";
    case STB_WEAK:
      return "WEAK";
    case STB_GNU_UNIQUE:
      return "GNU_UNIQUE";
    default:
      return named_or_number(nullptr, bind);
  }
}

std::string symbol_type_name(uint8_t type) {
  switch (type) {
    case STT_NOTYPE:
      return "NOTYPE";
    case STT_OBJECT:
      return "OBJECT";
    case STT_FUNC:
      return "FUNC";
    case STT_SECTION:
      return "SECTION";
    case STT_FILE:
      return "FILE";
    case STT_TLS:
      return "TLS";
    case STT_GNU_IFUNC:
      return "GNU_IFUNC";
    default:
      return named_or_number(nullptr, type);
  }
}

std::string symbol_visibility_name(uint8_t visibility) {
  switch (visibility) {
    case STV_DEFAULT:
      return "DEFAULT";
    case STV_INTERNAL:
      return "INTERNAL";
    case STV_HIDDEN:
      return "HIDDEN";
    case STV_PROTECTED:
      return "PROTECTED";
    default:
      return named_or_number(nullptr, visibility);
  }
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
