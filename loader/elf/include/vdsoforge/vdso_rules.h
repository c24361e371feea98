// The vDSO rules, written once: what the strict parser enforces, what the
// inspect parser lists, and what `vdsoforge check` and `vdsoforge abi` report,
// each under the same id, title and reason.
//
// A vDSO is mapped as it is, by a kernel that never relocates it or loads
// anything it names.  The rules that follow from that are about dynamic tags
// (which ones ask for relocations, which ones name other objects or code to
// run), and every dynamic tag the project names is in one table here, with the
// role it plays in those rules.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vdsoforge::vdso_rules {

// A rule as reports show it: `id` is the check's id ("dynamic.no_relocations",
// group before the dot), `title` what holds when it passes, `why` what goes
// wrong when it does not.
struct Rule {
  std::string_view id, title, why;
  std::string_view group() const { return id.substr(0, id.find('.')); }
  std::string_view item() const { return id.substr(id.find('.') + 1); }
};

// What a dynamic tag means to the rules.
enum class TagRole {
  other,                  // allowed (or judged by another check: hash tables, versions ...)
  applies_relocations,    // a relocation table to apply, or text relocations: the parser's rule
  describes_relocations,  // a size, entry size or count of such a table
  needs_object,           // DT_NEEDED: another object to load
  runs_code,              // initialisers and finalisers
};

struct DynamicTag {
  int64_t tag;
  std::string_view name;  // as <elf.h> spells it
  TagRole role;
};

// Every dynamic tag the project names, in tag order.
std::span<const DynamicTag> dynamic_tags();
// The entry for `tag`, or nullptr for a tag the table does not name.
const DynamicTag* find_dynamic_tag(int64_t tag);
TagRole role_of(int64_t tag);

// The parser's rule on relocations: any tag that applies them (strict mode
// refuses the image, inspect mode lists it under kParser).
bool applies_relocations(int64_t tag);
// `abi`'s no_relocations check: any relocation tag but DT_TEXTREL, which
// kNoTextrel judges together with DF_TEXTREL.
bool is_relocation_tag(int64_t tag);

// A relocation section (SHT_REL, SHT_RELA, SHT_RELR): `check` names each
// one under kNoForbiddenSections.
bool is_relocation_section(uint32_t section_type);

// Every rule the parser checks, as one check: `check` and `abi` report them
// under this id.
inline constexpr Rule kParser{"rules.parser", "the loader's parser finds no vDSO rule broken",
                              "the loader would refuse this image"};
// The dynamic-tag rules `abi` reports one by one.
inline constexpr Rule kNoNeeded{"dynamic.no_needed", "no DT_NEEDED",
                                "a vDSO cannot depend on other libraries: nothing would load them"};
inline constexpr Rule kNoRelocations{
    "dynamic.no_relocations", "no relocation tags",
    "nobody relocates a vDSO: its code must be position independent without relocations"};
inline constexpr Rule kNoTextrel{"dynamic.no_textrel", "no DT_TEXTREL / DF_TEXTREL",
                                 "text relocations need a writable text mapping"};
inline constexpr Rule kNoInitFini{"dynamic.no_init_fini", "no initialisers or finalisers",
                                  "nothing runs a vDSO's initialisers or finalisers"};

// The section and symbol rules `check` adds to the parser's.
inline constexpr Rule kNoForbiddenSections{
    "sections.forbidden", "no relocation, .data, .bss, .got or .plt section",
    "a vDSO is mapped read-only as it is: nothing relocates it or gives it writable data"};
inline constexpr Rule kNoUndefinedSymbols{"symbols.undefined", "no undefined symbol",
                                          "nothing resolves a vDSO's undefined symbols"};

// The sections kNoForbiddenSections names besides the relocation sections:
// `name` itself and every `name.*`, and why each may not be there.
struct ForbiddenSection {
  std::string_view name, why;
};
inline constexpr ForbiddenSection kForbiddenSections[] = {
    {".data", "vDSO images must not have writable data"},
    {".tdata", "vDSO images must not have writable data"},
    {".bss", "vDSO images must not have writable zero-initialised data"},
    {".tbss", "vDSO images must not have writable zero-initialised data"},
    {".got", "vDSO images must not need a GOT"},
    {".plt", "vDSO images must not call through a PLT"},
};
// The entry `section_name` falls under, or nullptr if the name is allowed.
const ForbiddenSection* find_forbidden_section(std::string_view section_name);

// What an image that passes `vdsoforge check` holds to, in one line (its
// summary), and the rules as its --help lists them.
inline constexpr std::string_view kCheckSummary =
    "one read-only PT_LOAD; no relocations, undefined symbols, DT_NEEDED or writable sections";
inline constexpr std::string_view kCheckRulesHelp =
    "one read-only PT_LOAD at offset 0; no relocations, DT_NEEDED, undefined\n"
    "symbols, .data/.bss/.got/.plt sections; both hash tables find every export.";

}  // namespace vdsoforge::vdso_rules
