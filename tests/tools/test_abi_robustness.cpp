// `vdsoforge abi` on damaged images: each corruption gets the verdict its
// region calls for (COMPATIBLE, INCOMPATIBLE, or refused by the parser) and
// the command line's exit status says the same (0, 1, 2: docs/integration.md).
//
// Two parts.  A table of targeted corruptions, one per class of metadata,
// each naming the check that must fail (or the parser's refusal).  And an
// exhaustive sweep flipping every byte of the metadata in turn: it keeps the
// no-crash property of the report and header generators (in-process, so the
// sanitizer build sees every access), and asserts the verdict wherever the
// region hit determines it, from a map of the pristine image's regions.
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "abi_fixtures.h"
#include "check/not_a_vdso.h"
#include "compat/compat_checks.h"
#include "embed/embed_header.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_image.h"
#include "verdict/evaluate.h"
#include "verdict/verdict_json.h"
#include "verdict/verdict_text.h"

using namespace vdsoforge;

namespace {

using test_support::Bytes;

// ---- verdicts -------------------------------------------------------------------------------

enum class Verdict { compatible, incompatible, refused };

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::compatible:
      return "COMPATIBLE";
    case Verdict::incompatible:
      return "INCOMPATIBLE";
    case Verdict::refused:
      return "refused by the parser";
  }
  return "?";
}

// The exit status `vdsoforge abi` documents for each verdict.
int exit_code_for(Verdict verdict) {
  switch (verdict) {
    case Verdict::compatible:
      return 0;
    case Verdict::incompatible:
      return 1;
    case Verdict::refused:
      return 2;
  }
  return -1;
}

// What the library makes of one damaged image, compared with the pristine one.
struct Outcome {
  Verdict verdict = Verdict::refused;
  std::string refusal;                    // errc name, when refused
  std::vector<std::string> failed;        // failed check ids, when parsed
  bool strict_refused = false;            // ParseMode::strict refused it
  bool parser_rule_check_failed = false;  // the report's rules.parser check failed
};

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// How much of `abi` a test runs in-process: everything evaluate() does, or
// the ELF comparison alone (without the layout checks, which decode the
// image's code: six times slower, too slow for the single-byte sweep).
enum class Scope { everything, comparison };

tools::verdict::Verdict judge(ElfImage image, const tools::verdict::Input& reference, Scope scope) {
  if (scope == Scope::everything)
    return tools::verdict::evaluate({.info = {.source = "damaged.so"}, .elf = std::move(image)},
                                    reference, {});
  tools::compat::Comparison comparison = tools::compat::compare(image, *reference.elf);
  tools::verdict::Verdict verdict;
  verdict.checks = std::move(comparison.checks);
  verdict.not_provided = std::move(comparison.not_provided);
  return verdict;
}

// Runs what `abi` and `embed` do in-process: parse, judge, render as text
// and JSON, embed what strict mode accepts.
Outcome judge_in_process(const Bytes& bytes, const tools::verdict::Input& reference, Scope scope) {
  Outcome outcome;
  ElfError inspect_err;
  auto image = ElfImage::parse(bytes, ParseMode::inspect, inspect_err);
  if (!image) {
    CHECK(!inspect_err.message.empty());  // a refusal always says why
    outcome.refusal = std::string(errc_name(inspect_err.code));
    return outcome;
  }
  const tools::verdict::Verdict verdict = judge(std::move(*image), reference, scope);
  REQUIRE(!verdict.failure);
  CHECK(!verdict.checks.empty());
  CHECK(!tools::verdict::render_text(verdict).empty());
  CHECK(tools::verdict::to_json(verdict).at("summary").at("checks") == verdict.checks.size());
  // The tool's exit status is 0 or 1 for every image these tests make: an
  // undetermined layout would be exit 3, which none of them may lead to.
  CHECK(verdict.compatibility() != tools::verdict::Compatibility::undetermined);
  outcome.verdict = verdict.compatibility() == tools::verdict::Compatibility::compatible
                        ? Verdict::compatible
                        : Verdict::incompatible;
  for (const auto& check : verdict.checks) {
    if (!check.pass) outcome.failed.push_back(check.id);
    if (check.id == "rules.parser") outcome.parser_rule_check_failed = !check.pass;
  }

  ElfError strict_err;
  const auto strict = ElfImage::parse(bytes, ParseMode::strict, strict_err);
  outcome.strict_refused = !strict;
  if (strict) {
    std::string header, error;
    if (!tools::generate_embed_header(*strict, {.source_name = "x.so", .prefix = "x"}, header,
                                      error)) {
      CHECK(!error.empty());
    }
  }
  return outcome;
}

// What the command line says about the same bytes.
struct ToolOutcome {
  int exit_code = -1;
  std::string refusal;                // error.code of the JSON, exit 2
  std::vector<std::string> failed;    // failed check ids of the JSON, exit 0/1
  bool looks_like_a_program = false;  // what makes a refusal "not_a_vdso"
};

ToolOutcome run_abi(const test_support::TempDir& dir, const Bytes& bytes) {
  const auto path = dir.path("damaged.so");
  test_support::write_file(path, bytes);
  const auto result =
      test_support::run_tool({"abi", path.string(), "--reference", VDSOFORGE_TEST_IMAGE, "--json"});
  ToolOutcome outcome{.exit_code = result.exit_code,
                      .looks_like_a_program = tools::not_a_vdso_message(path).has_value()};
  INFO("stderr: " << result.err);
  const auto json = nlohmann::json::parse(result.out);
  if (json.contains("error")) {
    outcome.refusal = json.at("error").at("code").get<std::string>();
  } else {
    outcome.failed = abi_test::failed_ids(json);
  }
  return outcome;
}

// The command line agrees with the library: same verdict (as its exit
// status), same refusal or same failed checks.
void check_tool_agrees(const test_support::TempDir& dir, const Bytes& bytes,
                       const Outcome& outcome) {
  const ToolOutcome tool = run_abi(dir, bytes);
  CHECK(tool.exit_code == exit_code_for(outcome.verdict));
  if (outcome.verdict == Verdict::refused) {
    CHECK(tool.refusal == (tool.looks_like_a_program ? tools::kNotAVdsoCode : outcome.refusal));
  } else {
    CHECK(tool.refusal.empty());
  }
  // The tool prints bytes that are not UTF-8 (a damaged name) as U+FFFD.
  const auto as_printed = [](const std::vector<std::string>& ids) {
    return nlohmann::json::parse(
        nlohmann::json(ids).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  CHECK(as_printed(tool.failed) == as_printed(outcome.failed));
}

// ---- the pristine image's regions -------------------------------------------------------------

// What a corruption inside a region must lead to.
enum class Expect {
  not_compatible,  // the region carries ABI: any change is refused or INCOMPATIBLE
  compatible,      // nothing reads the region's bytes for the ABI: still COMPATIBLE
  unspecified,     // depends on the value (a hash bit, a size): only consistency is checked
};

struct Region {
  std::string name;
  uint64_t begin, end;
  Expect expect;
  uint8_t meaningful_bits = 0xff;  // a flip of other bits alone expects nothing
};

class RegionMap {
 public:
  explicit RegionMap(const ElfImage& image);
  // The most specific region holding `offset` (the smallest one).
  const Region& at(uint64_t offset) const;
  const Region& named(const std::string& name) const;
  const std::vector<Region>& regions() const { return regions_; }

 private:
  void add(std::string name, uint64_t begin, uint64_t size, Expect expect,
           uint8_t meaningful_bits = 0xff) {
    regions_.push_back(Region{std::move(name), begin, begin + size, expect, meaningful_bits});
  }
  void add_header(const ElfImage& image);
  void add_program_headers(const ElfImage& image);
  void add_symbols(const ElfImage& image);
  void add_strings(const ElfImage& image);
  void add_versions(const ElfImage& image);
  void add_dynamic(const ElfImage& image);
  void add_notes(const ElfImage& image);

  std::vector<Region> regions_;
};

const Section& section(const ElfImage& image, std::string_view name) {
  const auto& sections = image.sections();
  const auto it = std::find_if(sections.begin(), sections.end(),
                               [&](const Section& s) { return s.name == name; });
  if (it == sections.end()) FAIL("the image has no section " << name);
  return *it;
}

template <typename T>
T read(const ElfImage& image, uint64_t offset) {
  T value;
  std::memcpy(&value, image.bytes().data() + offset, sizeof value);
  return value;
}

RegionMap::RegionMap(const ElfImage& image) {
  // Every section before .text, whole, as the fallback for bytes no finer
  // region below claims: the hash tables' words and the unwind tables are
  // read only for what their values happen to be.
  const uint64_t metadata_end = section(image, ".text").offset;
  for (const Section& s : image.sections()) {
    if (s.type != SHT_NULL && s.offset < metadata_end && s.size > 0)
      add("section " + s.name, s.offset, s.size, Expect::unspecified);
  }
  // Padding: bytes of the metadata no header or section covers (alignment
  // between sections).  Nothing reads them.
  for (uint64_t offset = 0; offset < metadata_end;) {
    const auto covered = [&](uint64_t at) {
      const auto eh = read<Elf64_Ehdr>(image, 0);
      if (at < sizeof(Elf64_Ehdr)) return true;
      if (at >= eh.e_phoff && at < eh.e_phoff + uint64_t{eh.e_phnum} * eh.e_phentsize) return true;
      return std::any_of(image.sections().begin(), image.sections().end(), [&](const Section& s) {
        return s.type != SHT_NULL && at >= s.offset && at < s.offset + s.size;
      });
    };
    if (covered(offset)) {
      ++offset;
      continue;
    }
    uint64_t end = offset;
    while (end < metadata_end && !covered(end)) ++end;
    add("padding", offset, end - offset, Expect::compatible);
    offset = end;
  }
  add_header(image);
  add_program_headers(image);
  add_symbols(image);
  add_strings(image);
  add_versions(image);
  add_dynamic(image);
  add_notes(image);
}

const Region& RegionMap::at(uint64_t offset) const {
  const Region* best = nullptr;
  for (const Region& region : regions_) {
    if (offset < region.begin || offset >= region.end) continue;
    if (best == nullptr || region.end - region.begin < best->end - best->begin) best = &region;
  }
  if (best == nullptr) FAIL("no region holds offset " << offset);
  return *best;
}

const Region& RegionMap::named(const std::string& name) const {
  for (const Region& region : regions_) {
    if (region.name == name) return region;
  }
  FAIL("no region named " << name);
  return regions_.front();
}

#define FIELD(type, member) offsetof(type, member), sizeof(type::member)

void RegionMap::add_header(const ElfImage&) {
  // The identity the report compares, and the fields that locate or size
  // the headers: a change either alters what is compared or makes the
  // parser read something else.
  add("e_ident magic", EI_MAG0, SELFMAG, Expect::not_compatible);
  add("e_ident class", EI_CLASS, 1, Expect::not_compatible);
  add("e_ident data", EI_DATA, 1, Expect::not_compatible);
  add("e_ident version", EI_VERSION, 1, Expect::not_compatible);
  add("e_ident osabi", EI_OSABI, 1, Expect::not_compatible);
  add("e_type", FIELD(Elf64_Ehdr, e_type), Expect::not_compatible);
  add("e_machine", FIELD(Elf64_Ehdr, e_machine), Expect::not_compatible);
  add("e_version", FIELD(Elf64_Ehdr, e_version), Expect::not_compatible);
  // ELF64 fixes the size of the header and of its table entries.
  add("e_ehsize", FIELD(Elf64_Ehdr, e_ehsize), Expect::not_compatible);
  add("e_phentsize", FIELD(Elf64_Ehdr, e_phentsize), Expect::not_compatible);
  add("e_shentsize", FIELD(Elf64_Ehdr, e_shentsize), Expect::not_compatible);
  // Where the tables are and how many entries they have: what the parser
  // then reads decides.
  add("e_phoff", FIELD(Elf64_Ehdr, e_phoff), Expect::unspecified);
  add("e_phnum", FIELD(Elf64_Ehdr, e_phnum), Expect::unspecified);
  add("e_shoff", FIELD(Elf64_Ehdr, e_shoff), Expect::unspecified);
  add("e_shnum", FIELD(Elf64_Ehdr, e_shnum), Expect::unspecified);
  add("e_shstrndx", FIELD(Elf64_Ehdr, e_shstrndx), Expect::unspecified);
  add("e_entry", FIELD(Elf64_Ehdr, e_entry), Expect::unspecified);
  add("e_flags", FIELD(Elf64_Ehdr, e_flags), Expect::unspecified);
  add("e_ident abiversion", EI_ABIVERSION, 1, Expect::unspecified);
  // Reserved bytes, which readers ignore (the ELF specification).
  add("e_ident padding", EI_PAD, EI_NIDENT - EI_PAD, Expect::compatible);
}

void RegionMap::add_program_headers(const ElfImage& image) {
  const auto eh = read<Elf64_Ehdr>(image, 0);
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    const uint64_t at = eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr);
    const auto type = read<Elf64_Phdr>(image, at).p_type;
    const std::string phdr = "phdr " + std::to_string(i) + " ";
    // Every segment type the reference has must be there; the one PT_LOAD
    // must stay read+execute.
    add(phdr + "p_type", at + offsetof(Elf64_Phdr, p_type), sizeof(Elf64_Word),
        Expect::not_compatible);
    add(phdr + "p_flags", at + offsetof(Elf64_Phdr, p_flags), sizeof(Elf64_Word),
        type == PT_LOAD ? Expect::not_compatible : Expect::unspecified);
    add(phdr + "rest", at + offsetof(Elf64_Phdr, p_offset),
        sizeof(Elf64_Phdr) - offsetof(Elf64_Phdr, p_offset), Expect::unspecified);
  }
}

void RegionMap::add_symbols(const ElfImage& image) {
  const Section& dynsym = section(image, ".dynsym");
  const auto exports = exported_symbols(image);
  for (const Symbol& symbol : image.symbols()) {
    const bool exported = std::find(exports.begin(), exports.end(), &symbol) != exports.end();
    const bool version_symbol = is_version_symbol(image, symbol);
    if (!exported && !version_symbol) continue;
    // An export with aliases loses them when its address moves; a version
    // symbol stops being one when its value leaves 0.
    const bool has_aliases = std::any_of(exports.begin(), exports.end(), [&](const Symbol* other) {
      return other != &symbol && other->value == symbol.value && other->shndx == symbol.shndx;
    });
    const uint64_t at = dynsym.offset + uint64_t{symbol.index} * sizeof(Elf64_Sym);
    const std::string prefix = "dynsym " + symbol.name + " ";
    add(prefix + "st_name", at + FIELD(Elf64_Sym, st_name), Expect::not_compatible);
    add(prefix + "st_info", at + FIELD(Elf64_Sym, st_info), Expect::not_compatible);
    add(prefix + "st_other", at + FIELD(Elf64_Sym, st_other), Expect::not_compatible,
        /*visibility:*/ 0x03);
    add(prefix + "st_shndx", at + FIELD(Elf64_Sym, st_shndx), Expect::not_compatible);
    add(prefix + "st_value", at + FIELD(Elf64_Sym, st_value),
        has_aliases || version_symbol ? Expect::not_compatible : Expect::unspecified);
    add(prefix + "st_size", at + FIELD(Elf64_Sym, st_size), Expect::unspecified);
  }
}

void RegionMap::add_strings(const ElfImage& image) {
  // The names an export, a version or the soname is known by: a different
  // name is a different ABI.  Strings may share tails (getrandom inside
  // __vdso_getrandom); any of them hit counts.  Only a copy something points
  // at counts: the image build leaves LLD's second "LINUX_2.6" unused when
  // the version symbol takes the verdef's (tools/finish_image.h).
  const Section& dynstr = section(image, ".dynstr");
  const auto bytes = image.bytes();
  std::set<uint64_t> referenced;  // offsets into .dynstr
  const Section& dynsym = section(image, ".dynsym");
  for (const Symbol& symbol : image.symbols())
    referenced.insert(
        read<Elf64_Sym>(image, dynsym.offset + uint64_t{symbol.index} * sizeof(Elf64_Sym)).st_name);
  const Section& verdef = section(image, ".gnu.version_d");
  for (uint64_t at = verdef.offset;;) {
    const auto entry = read<Elf64_Verdef>(image, at);
    referenced.insert(read<Elf64_Verdaux>(image, at + entry.vd_aux).vda_name);
    if (entry.vd_next == 0) break;
    at += entry.vd_next;
  }
  if (const auto soname = image.dynamic_value(DT_SONAME)) referenced.insert(*soname);
  std::vector<std::string> names{image.soname()};
  for (const Symbol* symbol : exported_symbols(image)) names.push_back(symbol->name);
  for (const VersionDefinition& def : image.version_definitions()) names.push_back(def.name);
  for (const std::string& name : names) {
    const std::string_view strings(reinterpret_cast<const char*>(bytes.data() + dynstr.offset),
                                   dynstr.size);
    for (size_t at = strings.find(name); at != std::string_view::npos;
         at = strings.find(name, at + 1)) {
      // Only a string that ends there (NUL after it) is this name.
      if (at + name.size() < strings.size() && strings[at + name.size()] == '\0' &&
          referenced.count(at) != 0)
        add("dynstr \"" + name + "\"", dynstr.offset + at, name.size(), Expect::not_compatible);
    }
  }
}

void RegionMap::add_versions(const ElfImage& image) {
  const Section& versym = section(image, ".gnu.version");
  for (const Symbol* symbol : exported_symbols(image)) {
    add("versym " + symbol->name, versym.offset + uint64_t{symbol->index} * sizeof(Elf64_Versym),
        sizeof(Elf64_Versym), Expect::not_compatible);
  }
  const Section& verdef = section(image, ".gnu.version_d");
  uint64_t at = verdef.offset;
  for (const VersionDefinition& def : image.version_definitions()) {
    const auto entry = read<Elf64_Verdef>(image, at);
    const std::string prefix = "verdef " + def.name + " ";
    // Every field names the version (flags, index, hash, checked against
    // its name) or locates its name and the next definition.
    add(prefix + "vd_hash", at + FIELD(Elf64_Verdef, vd_hash), Expect::not_compatible);
    add(prefix + "entry", at, sizeof(Elf64_Verdef), Expect::not_compatible);
    if (entry.vd_next == 0) break;
    at += entry.vd_next;
  }
}

void RegionMap::add_dynamic(const ElfImage& image) {
  const Section& dynamic = section(image, ".dynamic");
  for (uint64_t at = dynamic.offset; at < dynamic.offset + dynamic.size; at += sizeof(Elf64_Dyn)) {
    const auto entry = read<Elf64_Dyn>(image, at);
    const std::string prefix = "dynamic " + std::to_string(entry.d_tag) + " ";
    // The tags that locate a table (or the soname, or end the list): an
    // entry that loses its tag or changes its value loses what it pointed
    // to.  DT_FLAGS, DT_FLAGS_1 and DT_SYMENT have defaults that may mean the
    // same.
    const bool locates = entry.d_tag == DT_NULL || entry.d_tag == DT_STRTAB ||
                         entry.d_tag == DT_STRSZ || entry.d_tag == DT_SYMTAB ||
                         entry.d_tag == DT_HASH || entry.d_tag == DT_GNU_HASH ||
                         entry.d_tag == DT_VERSYM || entry.d_tag == DT_VERDEF ||
                         entry.d_tag == DT_VERDEFNUM || entry.d_tag == DT_SONAME;
    add(prefix + "d_tag", at + FIELD(Elf64_Dyn, d_tag),
        locates ? Expect::not_compatible : Expect::unspecified);
    // The terminator's value is never read.
    const Expect value = entry.d_tag == DT_NULL ? Expect::compatible
                         : locates              ? Expect::not_compatible
                                                : Expect::unspecified;
    add(prefix + "d_val", at + FIELD(Elf64_Dyn, d_un), value);
    if (entry.d_tag == DT_NULL) break;
  }
}

void RegionMap::add_notes(const ElfImage& image) {
  for (const Note& note : image.notes()) {
    const auto header = read<Elf64_Nhdr>(image, note.offset);
    const uint64_t owner_at = note.offset + sizeof(Elf64_Nhdr);
    const uint64_t desc_at = owner_at + (uint64_t{header.n_namesz} + 3) / 4 * 4;
    const std::string prefix = "note " + note.owner + " " + std::to_string(note.type) + " ";
    add(prefix + "header", note.offset, sizeof(Elf64_Nhdr), Expect::unspecified);
    // The report requires the Linux version note and the build-id by owner.
    const bool required = note.owner == "Linux" || note.owner == "GNU";
    add(prefix + "owner", owner_at, header.n_namesz,
        required ? Expect::not_compatible : Expect::unspecified);
    // A build-id is any bytes: the report asks only that one is there.
    add(prefix + "desc", desc_at, header.n_descsz,
        note.owner == "GNU" && note.type == NT_GNU_BUILD_ID ? Expect::compatible
                                                            : Expect::unspecified);
  }
}

#undef FIELD

// ---- targeted corruptions -------------------------------------------------------------------

template <typename T>
void put(Bytes& bytes, uint64_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// One corruption per class of metadata, with what it must lead to: the
// verdict and, for an image that still parses, the check that fails; for a
// refused one, the parser's error code.
struct Corruption {
  std::string name;
  std::function<void(Bytes&, const RegionMap&)> apply;
  Verdict verdict;
  std::string culprit;  // failed check id, or errc name when refused
  // The command line's error code when refused, if not the parser's: it
  // calls an ordinary program "not_a_vdso".
  std::string tool_culprit = culprit;
};

// The offset where a region of the pristine image starts.
uint64_t start(const RegionMap& map, const std::string& region) { return map.named(region).begin; }

const std::vector<Corruption>& corruptions() {
  using test_support::Bytes;
  static const std::vector<Corruption> table{
      // ELF header
      {"ELF magic", [](Bytes& b, const RegionMap&) { b[EI_MAG1] = 'X'; }, Verdict::refused,
       "bad_magic"},
      {"ELFCLASS32", [](Bytes& b, const RegionMap&) { b[EI_CLASS] = ELFCLASS32; }, Verdict::refused,
       "bad_class"},
      {"big endian", [](Bytes& b, const RegionMap&) { b[EI_DATA] = ELFDATA2MSB; }, Verdict::refused,
       "bad_endianness"},
      {"OS ABI GNU", [](Bytes& b, const RegionMap&) { b[EI_OSABI] = ELFOSABI_GNU; },
       Verdict::incompatible, "identity.osabi"},
      {"e_type ET_EXEC",
       [](Bytes& b, const RegionMap&) {
         put<Elf64_Half>(b, offsetof(Elf64_Ehdr, e_type), ET_EXEC);
       },
       Verdict::refused, "bad_type", tools::kNotAVdsoCode},
      {"e_machine EM_386",
       [](Bytes& b, const RegionMap&) {
         put<Elf64_Half>(b, offsetof(Elf64_Ehdr, e_machine), EM_386);
       },
       Verdict::refused, "bad_machine"},
      {"e_ident padding", [](Bytes& b, const RegionMap&) { b[EI_PAD] = 0x5a; }, Verdict::compatible,
       ""},
      // program headers
      {"writable PT_LOAD",
       [](Bytes& b, const RegionMap& m) { b[start(m, "phdr 0 p_flags")] |= PF_W; },
       Verdict::incompatible, "segments.load_flags"},
      {"PT_NOTE dropped",
       [](Bytes& b, const RegionMap& m) {
         for (int i = 0;; ++i) {
           const uint64_t at = start(m, "phdr " + std::to_string(i) + " p_type");
           uint32_t type;
           std::memcpy(&type, b.data() + at, sizeof type);
           if (type == PT_NOTE) return put<Elf64_Word>(b, at, PT_NULL);
         }
       },
       Verdict::incompatible, "segments.note"},
      {"second PT_LOAD",
       [](Bytes& b, const RegionMap&) { test_support::add_second_load_segment(b); },
       Verdict::incompatible, "segments.load_count"},
      // an exported .dynsym entry
      {"st_name: __vdso_getrandom renamed",
       [](Bytes& b, const RegionMap& m) { b[start(m, "dynstr \"__vdso_getrandom\"")] = 'X'; },
       Verdict::incompatible, "symbols.X_vdso_getrandom"},
      {"st_value: getrandom leaves its alias",
       [](Bytes& b, const RegionMap&) { test_support::move_symbol(b, "getrandom", 16); },
       Verdict::incompatible, "symbols.getrandom.aliases"},
      {"st_size: getrandom without extent",
       [](Bytes& b, const RegionMap& m) {
         put<Elf64_Xword>(b, start(m, "dynsym getrandom st_size"), 0);
       },
       Verdict::incompatible, "symbols.getrandom.size"},
      {"st_info: getrandom GLOBAL",
       [](Bytes& b, const RegionMap&) { test_support::make_symbol_global(b, "getrandom"); },
       Verdict::incompatible, "symbols.getrandom.binding"},
      {"st_info: getrandom OBJECT",
       [](Bytes& b, const RegionMap&) {
         test_support::set_symbol_type(b, "getrandom", STT_OBJECT);
       },
       Verdict::incompatible, "symbols.getrandom.type"},
      {"st_info: getrandom LOCAL among the globals",
       [](Bytes& b, const RegionMap&) {
         test_support::set_symbol_binding(b, "getrandom", STB_LOCAL);
       },
       Verdict::incompatible, "rules.parser"},
      {"st_other: getrandom PROTECTED",
       [](Bytes& b, const RegionMap&) {
         test_support::set_symbol_visibility(b, "getrandom", STV_PROTECTED);
       },
       Verdict::incompatible, "symbols.getrandom.visibility"},
      {"st_shndx: getrandom undefined",
       [](Bytes& b, const RegionMap&) { test_support::make_symbol_undefined(b, "getrandom"); },
       Verdict::incompatible, "symbols.getrandom.aliases"},
      // hash tables
      {".gnu.hash bloom filter zeroed",
       [](Bytes& b, const RegionMap&) { test_support::corrupt_gnu_hash(b); }, Verdict::incompatible,
       "hash.gnu.__vdso_getrandom"},
      {".gnu.hash chain of getrandom",
       [](Bytes& b, const RegionMap&) { test_support::corrupt_gnu_hash_chain(b, "getrandom"); },
       Verdict::incompatible, "hash.gnu.getrandom"},
      {".hash buckets zeroed",
       [](Bytes& b, const RegionMap&) { test_support::corrupt_sysv_hash(b); },
       Verdict::incompatible, "hash.sysv.__vdso_getrandom"},
      // versions
      {"versym: getrandom hidden",
       [](Bytes& b, const RegionMap&) { test_support::hide_symbol_version(b, "getrandom"); },
       Verdict::incompatible, "symbols.getrandom.version"},
      {"verdef: LINUX_2.6 vd_hash",
       [](Bytes& b, const RegionMap&) { test_support::corrupt_version_hash(b, "LINUX_2.6"); },
       Verdict::incompatible, "versions.LINUX_2.6.hash"},
      {"verdef: LINUX_2.6 renamed",
       [](Bytes& b, const RegionMap&) { test_support::rename_version(b, "LINUX_2.6"); },
       Verdict::incompatible, "versions.LINUX_2.6"},
      {"verdef: LINUX_2.6 dropped",
       [](Bytes& b, const RegionMap&) { test_support::drop_last_version_definition(b); },
       Verdict::incompatible, "versions.LINUX_2.6"},
      {"version symbol LINUX_2.6 made a FUNC",
       [](Bytes& b, const RegionMap&) { test_support::set_symbol_type(b, "LINUX_2.6", STT_FUNC); },
       Verdict::incompatible, "versions.LINUX_2.6.symbol"},
      // dynamic entries
      {"DT_SONAME hidden",
       [](Bytes& b, const RegionMap&) { test_support::hide_dynamic_tag(b, DT_SONAME); },
       Verdict::incompatible, "dynamic.soname"},
      {"DT_GNU_HASH hidden",
       [](Bytes& b, const RegionMap&) { test_support::hide_dynamic_tag(b, DT_GNU_HASH); },
       Verdict::incompatible, "dynamic.gnu_hash"},
      {"DT_RELA added", [](Bytes& b, const RegionMap&) { test_support::add_stray_relocation(b); },
       Verdict::incompatible, "dynamic.no_relocations"},
      {"DT_STRTAB hidden",
       [](Bytes& b, const RegionMap&) { test_support::hide_dynamic_tag(b, DT_STRTAB); },
       Verdict::refused, "bad_string_table"},
      // notes
      {"Linux note owner",
       [](Bytes& b, const RegionMap& m) { b[start(m, "note Linux 0 owner")] = 'l'; },
       Verdict::incompatible, "notes.linux_version"},
      {"build-id note type",
       [](Bytes& b, const RegionMap& m) {
         put<Elf64_Word>(b, start(m, "note GNU 3 header") + offsetof(Elf64_Nhdr, n_type), 0x99);
       },
       Verdict::incompatible, "notes.build_id"},
      {"build-id bytes",
       [](Bytes& b, const RegionMap& m) { b[start(m, "note GNU 3 desc")] ^= 0xff; },
       Verdict::compatible, ""},
      // alignment padding between sections
      {"padding", [](Bytes& b, const RegionMap& m) { b[start(m, "padding")] = 0xcc; },
       Verdict::compatible, ""},
  };
  return table;
}

}  // namespace

TEST_CASE("abi: each targeted corruption gets its verdict, culprit and exit status") {
  const auto pristine = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  ElfError err;
  const auto reference = ElfImage::parse(pristine, ParseMode::inspect, err);
  REQUIRE(reference);
  const tools::verdict::Input reference_input{.info = {.source = "pristine.so"}, .elf = reference};
  const RegionMap map(*reference);
  test_support::TempDir dir;
  for (const Corruption& corruption : corruptions()) {
    INFO(corruption.name << ": expected " << verdict_name(corruption.verdict) << " "
                         << corruption.culprit);
    auto bytes = pristine;
    corruption.apply(bytes, map);
    REQUIRE(bytes != pristine);
    const Outcome outcome = judge_in_process(bytes, reference_input, Scope::everything);
    CHECK(outcome.verdict == corruption.verdict);
    const ToolOutcome tool = run_abi(dir, bytes);
    CHECK(tool.exit_code == exit_code_for(corruption.verdict));
    switch (corruption.verdict) {
      case Verdict::refused:
        CHECK(outcome.refusal == corruption.culprit);
        CHECK(tool.refusal == corruption.tool_culprit);
        break;
      case Verdict::incompatible:
        CHECK(contains(outcome.failed, corruption.culprit));
        CHECK(contains(tool.failed, corruption.culprit));
        break;
      case Verdict::compatible:
        CHECK(outcome.failed.empty());
        CHECK(tool.failed.empty());
        break;
    }
  }
}

TEST_CASE("abi: every single-byte corruption of the metadata gets its region's verdict") {
  const auto pristine = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  ElfError err;
  const auto reference = ElfImage::parse(pristine, ParseMode::inspect, err);
  REQUIRE(reference);
  const tools::verdict::Input reference_input{.info = {.source = "pristine.so"}, .elf = reference};
  const RegionMap map(*reference);
  const uint64_t metadata_end = section(*reference, ".text").offset;
  REQUIRE(metadata_end > sizeof(Elf64_Ehdr));
  test_support::TempDir dir;

  std::map<std::string, std::map<Verdict, int>> seen;  // region -> verdict -> flips
  std::map<std::string, bool> tool_checked;            // kind of outcome -> run by the tool
  for (uint64_t offset = 0; offset < metadata_end; ++offset) {
    const Region& region = map.at(offset);
    for (uint8_t flip : {uint8_t{0xff}, uint8_t{0x01}}) {
      auto bytes = pristine;
      bytes[offset] ^= flip;
      INFO("offset " << offset << " (" << region.name << ") ^ " << int{flip});
      const Outcome outcome = judge_in_process(bytes, reference_input, Scope::comparison);
      INFO("verdict " << verdict_name(outcome.verdict) << ", refusal " << outcome.refusal);
      ++seen[region.name][outcome.verdict];
      if (outcome.verdict != Verdict::refused) {
        // Strict mode refuses exactly the images whose report lists a
        // broken parser rule, so such an image is never COMPATIBLE.
        CHECK(outcome.strict_refused == outcome.parser_rule_check_failed);
      }
      const bool meaningful = (flip & region.meaningful_bits) != 0;
      if (meaningful && region.expect == Expect::not_compatible)
        CHECK(outcome.verdict != Verdict::compatible);
      if (meaningful && region.expect == Expect::compatible)
        CHECK(outcome.verdict == Verdict::compatible);
      // The command line, once per kind of outcome (verdict, refusal code,
      // groups of the failed checks): a child per flip would make the sweep
      // slow under the sanitizers, and one kind takes one path through it.
      std::set<std::string> failed_groups;
      for (const std::string& id : outcome.failed) failed_groups.insert(id.substr(0, id.find('.')));
      std::string signature = std::string(verdict_name(outcome.verdict)) + outcome.refusal;
      for (const std::string& group : failed_groups) signature += " " + group;
      if (!tool_checked[signature]) {
        tool_checked[signature] = true;
        check_tool_agrees(dir, bytes, outcome);
      }
    }
  }
  for (const auto& [name, verdicts] : seen) {
    std::string line = name + ":";
    for (const auto& [verdict, count] : verdicts)
      line += std::string(" ") + verdict_name(verdict) + " " + std::to_string(count);
    UNSCOPED_INFO(line);
  }
  UNSCOPED_INFO(tool_checked.size() << " kinds of outcome, each run by the command line");
  // The sweep really reached every outcome.
  std::map<Verdict, int> totals;
  for (const auto& [name, verdicts] : seen)
    for (const auto& [verdict, count] : verdicts) totals[verdict] += count;
  CHECK(totals[Verdict::compatible] > 0);
  CHECK(totals[Verdict::incompatible] > 0);
  CHECK(totals[Verdict::refused] > 0);
}
