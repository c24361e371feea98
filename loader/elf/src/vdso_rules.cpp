// The dynamic-tag table behind the vDSO rules (see vdso_rules.h).
#include "vdsoforge/vdso_rules.h"

#include <elf.h>

#include <algorithm>
#include <array>

namespace vdsoforge::vdso_rules {

namespace {

using enum TagRole;
constexpr std::array kTags = std::to_array<DynamicTag>({
    {DT_NULL, "DT_NULL", other},
    {DT_NEEDED, "DT_NEEDED", needs_object},
    {DT_PLTRELSZ, "DT_PLTRELSZ", describes_relocations},
    {DT_HASH, "DT_HASH", other},
    {DT_STRTAB, "DT_STRTAB", other},
    {DT_SYMTAB, "DT_SYMTAB", other},
    {DT_RELA, "DT_RELA", applies_relocations},
    {DT_RELASZ, "DT_RELASZ", describes_relocations},
    {DT_RELAENT, "DT_RELAENT", describes_relocations},
    {DT_STRSZ, "DT_STRSZ", other},
    {DT_SYMENT, "DT_SYMENT", other},
    {DT_INIT, "DT_INIT", runs_code},
    {DT_FINI, "DT_FINI", runs_code},
    {DT_SONAME, "DT_SONAME", other},
    {DT_RPATH, "DT_RPATH", other},
    {DT_SYMBOLIC, "DT_SYMBOLIC", other},
    {DT_REL, "DT_REL", applies_relocations},
    {DT_RELSZ, "DT_RELSZ", describes_relocations},
    {DT_RELENT, "DT_RELENT", describes_relocations},
    {DT_PLTREL, "DT_PLTREL", describes_relocations},
    {DT_TEXTREL, "DT_TEXTREL", applies_relocations},
    {DT_JMPREL, "DT_JMPREL", applies_relocations},
    {DT_INIT_ARRAY, "DT_INIT_ARRAY", runs_code},
    {DT_FINI_ARRAY, "DT_FINI_ARRAY", runs_code},
    {DT_INIT_ARRAYSZ, "DT_INIT_ARRAYSZ", runs_code},
    {DT_FINI_ARRAYSZ, "DT_FINI_ARRAYSZ", runs_code},
    {DT_RUNPATH, "DT_RUNPATH", other},
    {DT_FLAGS, "DT_FLAGS", other},
    {DT_PREINIT_ARRAY, "DT_PREINIT_ARRAY", runs_code},
    {DT_PREINIT_ARRAYSZ, "DT_PREINIT_ARRAYSZ", runs_code},
    {DT_RELRSZ, "DT_RELRSZ", describes_relocations},
    {DT_RELR, "DT_RELR", applies_relocations},
    {DT_RELRENT, "DT_RELRENT", describes_relocations},
    {DT_GNU_HASH, "DT_GNU_HASH", other},
    {DT_VERSYM, "DT_VERSYM", other},
    {DT_RELACOUNT, "DT_RELACOUNT", describes_relocations},
    {DT_RELCOUNT, "DT_RELCOUNT", describes_relocations},
    {DT_FLAGS_1, "DT_FLAGS_1", other},
    {DT_VERDEF, "DT_VERDEF", other},
    {DT_VERDEFNUM, "DT_VERDEFNUM", other},
    {DT_VERNEED, "DT_VERNEED", other},
    {DT_VERNEEDNUM, "DT_VERNEEDNUM", other},
});

}  // namespace

std::span<const DynamicTag> dynamic_tags() { return kTags; }

const DynamicTag* find_dynamic_tag(int64_t tag) {
  const auto it =
      std::find_if(kTags.begin(), kTags.end(), [&](const DynamicTag& t) { return t.tag == tag; });
  return it == kTags.end() ? nullptr : &*it;
}

TagRole role_of(int64_t tag) {
  const DynamicTag* entry = find_dynamic_tag(tag);
  return entry == nullptr ? TagRole::other : entry->role;
}

bool applies_relocations(int64_t tag) { return role_of(tag) == TagRole::applies_relocations; }

bool is_relocation_tag(int64_t tag) {
  const TagRole role = role_of(tag);
  return tag != DT_TEXTREL &&
         (role == TagRole::applies_relocations || role == TagRole::describes_relocations);
}

bool is_relocation_section(uint32_t section_type) {
  return section_type == SHT_REL || section_type == SHT_RELA || section_type == SHT_RELR;
}

const ForbiddenSection* find_forbidden_section(std::string_view section_name) {
  for (const ForbiddenSection& forbidden : kForbiddenSections) {
    if (section_name == forbidden.name ||
        (section_name.starts_with(forbidden.name) &&
         section_name.substr(forbidden.name.size()).starts_with('.')))
      return &forbidden;
  }
  return nullptr;
}

}  // namespace vdsoforge::vdso_rules
