#include "compat/compat_checks.h"

#include <elf.h>

#include <algorithm>

#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_names.h"
#include "vdsoforge/vdso_rules.h"

namespace vdsoforge::tools::compat {

namespace {

// Adds checks to a comparison under one group.
class CheckList {
 public:
  CheckList(Comparison& comparison, std::string group)
      : comparison_(comparison), group_(std::move(group)) {}

  void add(std::string item, std::string title, bool pass, std::string image, std::string reference,
           std::string detail = {}) {
    comparison_.checks.push_back(report::Check{.id = group_ + "." + std::move(item),
                                               .group = group_,
                                               .title = std::move(title),
                                               .pass = pass,
                                               .expected = std::move(reference),
                                               .actual = std::move(image),
                                               .detail = pass ? std::string() : std::move(detail)});
  }

  // Passes when both sides show the same value.
  void same(std::string item, std::string title, const std::string& image,
            const std::string& reference) {
    add(std::move(item), std::move(title), image == reference, image, reference,
        "the image differs from the reference");
  }

 private:
  Comparison& comparison_;
  std::string group_;
};

// ---- identity ----------------------------------------------------------------

void check_identity(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "identity");
  const ElfIdentity& a = image.identity();
  const ElfIdentity& b = reference.identity();
  list.same("class", "ELF class (EI_CLASS)", elf_class_name(a.elf_class),
            elf_class_name(b.elf_class));
  list.same("data", "byte order (EI_DATA)", elf_data_name(a.data), elf_data_name(b.data));
  list.same("ident_version", "EI_VERSION", std::to_string(a.ident_version),
            std::to_string(b.ident_version));
  list.same("version", "e_version", std::to_string(a.version), std::to_string(b.version));
  list.same("osabi", "OS ABI (EI_OSABI)", elf_osabi_name(a.osabi), elf_osabi_name(b.osabi));
  list.same("machine", "machine (e_machine)", elf_machine_name(a.machine),
            elf_machine_name(b.machine));
  list.same("type", "object type (e_type)", elf_type_name(a.type), elf_type_name(b.type));
}

// ---- program headers ----------------------------------------------------------

std::vector<const Segment*> segments_of_type(const ElfImage& elf, uint32_t type) {
  std::vector<const Segment*> found;
  for (const Segment& segment : elf.segments()) {
    if (segment.type == type) found.push_back(&segment);
  }
  return found;
}

std::string load_placement(const Segment* load) {
  if (load == nullptr) return "no PT_LOAD";
  return "offset " + hex(load->offset) + ", vaddr " + hex(load->vaddr);
}

std::string load_alignment(const Segment* load) {
  if (load == nullptr) return "no PT_LOAD";
  return "offset " + hex(load->offset) + ", vaddr " + hex(load->vaddr) + ", p_align " +
         hex(load->align);
}

bool page_aligned(const Segment& load) {
  constexpr uint64_t kPage = 4096;
  const bool align_is_page_multiple = load.align >= kPage && (load.align & (load.align - 1)) == 0;
  return align_is_page_multiple && load.offset % kPage == 0 && load.vaddr % kPage == 0;
}

std::string presence(const std::vector<const Segment*>& found) {
  if (found.empty()) return "absent";
  std::string out = "present (" + segment_flags_name(found.front()->flags) + ")";
  if (found.size() > 1) out += " x" + std::to_string(found.size());
  return out;
}

void check_segments(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "segments");
  const auto image_loads = segments_of_type(image, PT_LOAD);
  const auto reference_loads = segments_of_type(reference, PT_LOAD);
  const Segment* image_load = image_loads.empty() ? nullptr : image_loads.front();
  const Segment* reference_load = reference_loads.empty() ? nullptr : reference_loads.front();

  std::string counts_detail = "a vDSO is mapped as one blob and must have exactly one PT_LOAD";
  if (image_loads.size() > 1) {
    counts_detail += "; extra PT_LOAD: ";
    for (size_t i = 1; i < image_loads.size(); ++i) {
      const Segment& extra = *image_loads[i];
      counts_detail += (i > 1 ? ", " : "") + std::string("vaddr ") + hex(extra.vaddr) + " memsz " +
                       hex(extra.memsz) + " " + segment_flags_name(extra.flags);
    }
  }
  list.add("load_count", "exactly one PT_LOAD", image_loads.size() == 1,
           std::to_string(image_loads.size()), std::to_string(reference_loads.size()),
           counts_detail);

  const auto flags_of = [](const Segment* load) {
    return load != nullptr ? segment_flags_name(load->flags) : std::string("no PT_LOAD");
  };
  list.add("load_flags", "PT_LOAD is read+execute (never writable)",
           image_load != nullptr && image_load->flags == (PF_R | PF_X), flags_of(image_load),
           flags_of(reference_load), "the PT_LOAD must be exactly R+X");
  list.add("load_offset_equals_vaddr", "PT_LOAD file offset equals its virtual address",
           image_load != nullptr && image_load->offset == image_load->vaddr,
           load_placement(image_load), load_placement(reference_load),
           "file layout must equal memory layout so the file can be mapped as is");
  list.add("load_page_aligned", "PT_LOAD is page aligned",
           image_load != nullptr && page_aligned(*image_load), load_alignment(image_load),
           load_alignment(reference_load),
           "offset and vaddr must be multiples of 4096 and p_align a power of two >= 4096");

  const struct {
    const char* item;
    uint32_t type;
  } required[] = {{"dynamic", PT_DYNAMIC}, {"note", PT_NOTE}, {"eh_frame_hdr", PT_GNU_EH_FRAME}};
  for (const auto& [item, type] : required) {
    const auto image_found = segments_of_type(image, type);
    list.add(item, segment_type_name(type) + " present", !image_found.empty(),
             presence(image_found), presence(segments_of_type(reference, type)),
             "the image has no " + segment_type_name(type));
  }
}

// ---- dynamic tags ----------------------------------------------------------------

std::string tag_value(const ElfImage& elf, int64_t tag) {
  const auto value = elf.dynamic_value(tag);
  return value ? "present (" + hex(*value) + ")" : "absent";
}

// "DT_RELA=0x3d0, DT_RELASZ=0x18" for the tags an image has that `breaks`
// says break a rule, or "none".
std::string tags_present(const ElfImage& elf, bool (*breaks)(int64_t tag)) {
  std::string out;
  for (const DynamicEntry& entry : elf.dynamic()) {
    if (!breaks(entry.tag)) continue;
    out += (out.empty() ? "" : ", ") + dynamic_tag_name(entry.tag) + "=" + hex(entry.value);
  }
  return out.empty() ? "none" : out;
}

bool has_textrel(const ElfImage& elf) {
  const auto flags = elf.dynamic_value(DT_FLAGS);
  return elf.dynamic_value(DT_TEXTREL).has_value() || (flags && (*flags & DF_TEXTREL) != 0);
}

void check_dynamic(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "dynamic");
  const std::string image_soname = image.soname();
  const std::string reference_soname = reference.soname();
  list.add("soname", "DT_SONAME matches the reference",
           !image_soname.empty() && image_soname == reference_soname,
           image_soname.empty() ? "absent" : image_soname,
           reference_soname.empty() ? "absent" : reference_soname,
           image_soname.empty() ? "the image has no DT_SONAME" : "the SONAME differs");

  const struct {
    const char* item;
    int64_t tag;
  } required[] = {{"hash", DT_HASH},     {"gnu_hash", DT_GNU_HASH}, {"symtab", DT_SYMTAB},
                  {"strtab", DT_STRTAB}, {"versym", DT_VERSYM},     {"verdef", DT_VERDEF}};
  for (const auto& [item, tag] : required) {
    const bool present = image.dynamic_value(tag).has_value();
    list.add(item, dynamic_tag_name(tag) + " present", present, tag_value(image, tag),
             tag_value(reference, tag), "the image has no " + dynamic_tag_name(tag));
  }

  const auto forbid = [&](const vdso_rules::Rule& rule, bool (*breaks)(int64_t tag)) {
    const std::string found = tags_present(image, breaks);
    list.add(std::string(rule.item()), std::string(rule.title), found == "none", found,
             tags_present(reference, breaks), std::string(rule.why));
  };
  forbid(vdso_rules::kNoNeeded,
         [](int64_t tag) { return vdso_rules::role_of(tag) == vdso_rules::TagRole::needs_object; });
  forbid(vdso_rules::kNoRelocations, vdso_rules::is_relocation_tag);
  const vdso_rules::Rule& textrel = vdso_rules::kNoTextrel;
  list.add(std::string(textrel.item()), std::string(textrel.title), !has_textrel(image),
           has_textrel(image) ? "present" : "none", has_textrel(reference) ? "present" : "none",
           std::string(textrel.why));
  forbid(vdso_rules::kNoInitFini,
         [](int64_t tag) { return vdso_rules::role_of(tag) == vdso_rules::TagRole::runs_code; });
}

// ---- version definitions ----------------------------------------------------------

const VersionDefinition* find_version(const ElfImage& elf, const std::string& name) {
  for (const VersionDefinition& def : elf.version_definitions()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

std::string version_flags_text(uint16_t flags) {
  std::string out;
  if (flags & VER_FLG_BASE) out += "BASE";
  if (flags & VER_FLG_WEAK) out += out.empty() ? "WEAK" : "+WEAK";
  const uint16_t other = flags & static_cast<uint16_t>(~(VER_FLG_BASE | VER_FLG_WEAK));
  if (other) out += (out.empty() ? "" : "+") + hex(other);
  return out.empty() ? "none" : out;
}

std::string version_text(const VersionDefinition* def) {
  if (def == nullptr) return "missing";
  return "index " + std::to_string(def->index) + ", flags " + version_flags_text(def->flags);
}

void check_versions(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "versions");
  for (const VersionDefinition& wanted : reference.version_definitions()) {
    const VersionDefinition* have = find_version(image, wanted.name);
    const bool pass = have != nullptr && have->index == wanted.index && have->flags == wanted.flags;
    list.add(wanted.name,
             "version " + wanted.name + " defined with the reference's index and flags", pass,
             version_text(have), version_text(&wanted),
             have == nullptr ? "the image does not define version " + wanted.name
                             : "index or flags differ from the reference");
    // GNU ld gives every version an ABS symbol of its name; where the
    // reference has one, the image's dynamic symbol table must too.
    const Symbol* reference_symbol = find_version_symbol(reference, wanted.name);
    if (reference_symbol == nullptr) continue;
    list.same(wanted.name + ".symbol", "version symbol " + wanted.name + " as in the reference",
              version_symbol_text(find_version_symbol(image, wanted.name)),
              version_symbol_text(reference_symbol));
  }
  for (const VersionDefinition& def : image.version_definitions()) {
    if (find_version(reference, def.name) == nullptr) {
      list.add(def.name, "version " + def.name + " exists in the reference", false,
               version_text(&def), "missing", "the reference defines no version " + def.name);
    }
    const uint32_t expected = elf_sysv_hash(def.name);
    const VersionDefinition* theirs = find_version(reference, def.name);
    list.add(def.name + ".hash", "vd_hash of " + def.name + " is the ELF hash of its name",
             def.hash_matches && def.hash == expected,
             "stored " + hex(def.hash) + ", name hashes to " + hex(expected),
             theirs != nullptr ? "stored " + hex(theirs->hash) : std::string("not defined"),
             "a loader compares this hash when it resolves versioned symbols");
  }
}

// ---- symbols --------------------------------------------------------------------------

const Symbol* find_export(const std::vector<const Symbol*>& exports, const Symbol& like) {
  const Symbol* same_name = nullptr;
  for (const Symbol* candidate : exports) {
    if (candidate->name != like.name) continue;
    if (candidate->version == like.version) return candidate;
    if (same_name == nullptr) same_name = candidate;
  }
  return same_name;
}

std::string symbol_text(const Symbol* symbol) {
  if (symbol == nullptr) return "not exported";
  return symbol->name + symbol_version_text(*symbol);
}

// Callers compare sizes only by class: code differs between implementations,
// but a sized symbol (a function with its extent) is not a zero-size marker.
std::string size_class(const Symbol& symbol) {
  return symbol.size == 0 ? "0 (no extent)" : "sized";
}

// The exports at the same address as `symbol` (itself excluded), in .dynsym
// order: its aliases, such as getrandom and __vdso_getrandom.
std::vector<const Symbol*> aliases_of(const std::vector<const Symbol*>& exports,
                                      const Symbol& symbol) {
  std::vector<const Symbol*> aliases;
  for (const Symbol* other : exports) {
    if (other != &symbol && other->shndx == symbol.shndx && other->value == symbol.value)
      aliases.push_back(other);
  }
  return aliases;
}

// "shares its address with getrandom@@LINUX_2.6", "alone at its address",
// "not exported".
std::string alias_text(const std::vector<const Symbol*>& exports, const Symbol* symbol) {
  if (symbol == nullptr) return "not exported";
  const auto aliases = aliases_of(exports, *symbol);
  if (aliases.empty()) return "alone at its address";
  std::string text = "shares its address with";
  for (const Symbol* alias : aliases) text += " " + symbol_text(alias);
  return text;
}

// Symbols at one address in the reference are one thing under several names
// (getrandom is __vdso_getrandom): a caller may bind any of them, so an image
// that provides one member of such a group must provide every member, at one
// address.  Returns the reference exports of groups the image only partly
// provides, which are failures rather than "not provided".
std::vector<const Symbol*> check_alias_groups(CheckList& list,
                                              const std::vector<const Symbol*>& image_exports,
                                              const std::vector<const Symbol*>& reference_exports) {
  std::vector<const Symbol*> checked;
  for (const Symbol* theirs : reference_exports) {
    const auto group = aliases_of(reference_exports, *theirs);
    if (group.empty()) continue;
    const bool group_provided = find_export(image_exports, *theirs) != nullptr ||
                                std::any_of(group.begin(), group.end(), [&](const Symbol* member) {
                                  return find_export(image_exports, *member) != nullptr;
                                });
    if (!group_provided) continue;
    checked.push_back(theirs);
    const Symbol* mine = find_export(image_exports, *theirs);
    // Compared by name and version, as the image's addresses differ.
    const auto names_of = [](const std::vector<const Symbol*>& exports, const Symbol* symbol) {
      return symbol == nullptr ? std::string("not exported") : alias_text(exports, symbol);
    };
    list.add(theirs->name + ".aliases",
             theirs->name + " is provided with its aliases at one address",
             names_of(image_exports, mine) == names_of(reference_exports, theirs),
             names_of(image_exports, mine), names_of(reference_exports, theirs),
             mine == nullptr
                 ? "the image provides an alias of " + theirs->name + " but not " + theirs->name +
                       " itself: callers that bind " + theirs->name + " find nothing"
                 : "the reference's aliases share one address; in the image they "
                   "do not, so the names would behave differently");
  }
  return checked;
}

void check_symbols(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "symbols");
  const auto image_exports = exported_symbols(image);
  const auto reference_exports = exported_symbols(reference);
  list.add("exports", "the image exports at least one symbol", !image_exports.empty(),
           std::to_string(image_exports.size()) + " symbols",
           std::to_string(reference_exports.size()) + " symbols",
           "an image without exports provides nothing");

  for (const Symbol* mine : image_exports) {
    const Symbol* theirs = find_export(reference_exports, *mine);
    const std::string& name = mine->name;
    list.add(name, name + " is exported by the reference", theirs != nullptr, symbol_text(mine),
             symbol_text(theirs), "the reference has no such export, so no caller expects it");
    if (theirs == nullptr) continue;
    list.same(name + ".version", "symbol version of " + name, symbol_version_text(*mine),
              symbol_version_text(*theirs));
    list.same(name + ".binding", "binding of " + name, symbol_bind_name(mine->bind),
              symbol_bind_name(theirs->bind));
    list.same(name + ".type", "type of " + name, symbol_type_name(mine->type),
              symbol_type_name(theirs->type));
    list.same(name + ".visibility", "visibility of " + name,
              symbol_visibility_name(mine->visibility), symbol_visibility_name(theirs->visibility));
    list.same(name + ".size", "size class of " + name, size_class(*mine), size_class(*theirs));
  }

  const auto in_partial_groups = check_alias_groups(list, image_exports, reference_exports);
  for (const Symbol* theirs : reference_exports) {
    if (find_export(image_exports, *theirs) != nullptr) continue;
    if (std::find(in_partial_groups.begin(), in_partial_groups.end(), theirs) !=
        in_partial_groups.end()) {
      continue;  // failed as an incomplete alias group above
    }
    comparison.not_provided.push_back(NotProvided{.name = theirs->name,
                                                  .version = symbol_version_text(*theirs),
                                                  .binding = symbol_bind_name(theirs->bind),
                                                  .type = symbol_type_name(theirs->type)});
  }
}

// ---- notes ------------------------------------------------------------------------------

const Note* find_note(const ElfImage& elf, std::string_view owner, uint32_t type) {
  for (const Note& note : elf.notes()) {
    if (note.owner == owner && note.type == type) return &note;
  }
  return nullptr;
}

std::string linux_note_text(const Note* note) {
  if (note == nullptr) return "absent";
  const auto code = linux_version_code(*note);
  if (!code) return "malformed (" + std::to_string(note->desc.size()) + "-byte descriptor)";
  return "LINUX_VERSION_CODE " + linux_version_text(*code);
}

std::string build_id_text(const Note* note) {
  if (note == nullptr) return "absent";
  if (note->desc.empty()) return "empty";
  return std::to_string(note->desc.size()) + " bytes " + hex_bytes(note->desc);
}

void check_notes(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "notes");
  const Note* image_linux = find_note(image, "Linux", 0);
  list.add("linux_version", "Linux note (type 0) with a 4-byte version code",
           image_linux != nullptr && linux_version_code(*image_linux).has_value(),
           linux_note_text(image_linux), linux_note_text(find_note(reference, "Linux", 0)),
           "C libraries read the kernel version from this note");
  const Note* image_build_id = find_note(image, "GNU", NT_GNU_BUILD_ID);
  list.add(
      "build_id", "GNU build-id note", image_build_id != nullptr && !image_build_id->desc.empty(),
      build_id_text(image_build_id), build_id_text(find_note(reference, "GNU", NT_GNU_BUILD_ID)),
      "debuggers and profilers match the image to its debug file by build-id");
}

// ---- hash tables --------------------------------------------------------------------------

std::string lookup_text(const ElfImage& elf, HashTable table, const Symbol& wanted) {
  if (!has_hash_table(elf, table)) return "no table";
  const Symbol* found = find_through(elf, table, wanted.name, wanted.version);
  if (found == nullptr) return "not found";
  return "finds dynsym #" + std::to_string(found->index);
}

void check_hash_tables(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  CheckList list(comparison, "hash");
  const auto exports = exported_symbols(image);
  for (const HashTable table : kHashTables) {
    const std::string section(hash_table_section(table));
    for (const Symbol* symbol : exports) {
      const bool pass = hash_table_finds(image, table, *symbol);
      std::string detail;
      if (!has_hash_table(image, table)) {
        detail = "the image has no " + section;
      } else if (find_through(image, table, symbol->name, symbol->version) == nullptr) {
        detail = section + " does not find " + symbol->name + symbol_version_text(*symbol) +
                 " (dynsym #" + std::to_string(symbol->index) + "): the table is corrupt";
      } else {
        detail = section + " leads to the wrong symbol";
      }
      list.add(std::string(table == HashTable::gnu ? "gnu" : "sysv") + "." + symbol->name,
               section + " finds " + symbol->name, pass, lookup_text(image, table, *symbol),
               lookup_text(reference, table, *symbol), detail);
    }
  }
}

// ---- the parser's own rule checks -----------------------------------------------------------

std::string violations_text(const ElfImage& elf) {
  if (elf.violations().empty()) return "none";
  std::string out;
  for (const Violation& violation : elf.violations()) {
    out += (out.empty() ? "" : "; ") + std::string(errc_name(violation.code)) + ": " +
           violation.message;
  }
  return out;
}

void check_rules(const ElfImage& image, const ElfImage& reference, Comparison& comparison) {
  const vdso_rules::Rule& rule = vdso_rules::kParser;
  CheckList list(comparison, std::string(rule.group()));
  list.add(std::string(rule.item()), std::string(rule.title), image.violations().empty(),
           violations_text(image), violations_text(reference), std::string(rule.why));
}

}  // namespace

Comparison compare(const ElfImage& image, const ElfImage& reference) {
  Comparison comparison;
  check_identity(image, reference, comparison);
  check_segments(image, reference, comparison);
  check_dynamic(image, reference, comparison);
  check_versions(image, reference, comparison);
  check_symbols(image, reference, comparison);
  check_notes(image, reference, comparison);
  check_hash_tables(image, reference, comparison);
  check_rules(image, reference, comparison);
  return comparison;
}

}  // namespace vdsoforge::tools::compat
