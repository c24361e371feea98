// A bounds-checked, read-only view of a vDSO-style ELF image.
//
// Parsing never reads outside the input, never maps anything and never
// crashes: every table is checked against the input size and the loadable
// segment before it is used.  Two strictness levels share one parser:
//   ParseMode::strict  - what the loader needs: any vDSO rule violation (a
//                        writable or second PT_LOAD, relocations, DT_NEEDED,
//                        inconsistent hash tables ...) is an error.
//   ParseMode::inspect - for `vdsoforge abi`/`check`: the same bounds checks
//                        are errors, but rule violations are collected in
//                        violations() so a report can list every one of them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_error.h"
#include "vdsoforge/layout_profiles.h"

namespace vdsoforge {

enum class ParseMode { strict, inspect };

struct ElfIdentity {
  uint8_t elf_class, data, ident_version, osabi, abi_version;
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry;
  uint16_t phnum, shnum;
};

struct Segment {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz, align;
};

struct Section {  // from section headers when present (stripped images keep them)
  std::string name;
  uint32_t type;
  uint64_t flags, addr, offset, size;
  uint32_t link = 0;     // sh_link: e.g. the string table of a symbol table
  uint64_t entsize = 0;  // sh_entsize: bytes per entry of a table section
  uint32_t info = 0;     // sh_info: for a symbol table, the index of its first non-LOCAL symbol
};

struct DynamicEntry {
  int64_t tag;
  uint64_t value;
};

struct Note {
  std::string owner;
  uint32_t type;
  std::vector<uint8_t> desc;
  uint64_t offset;  // file offset of the note record
};

struct VersionDefinition {
  uint16_t index, flags, aux_count;
  uint32_t hash;      // as stored
  bool hash_matches;  // stored hash == ELF hash of the name
  std::string name;   // first aux entry
};

struct Symbol {
  uint32_t index;  // in .dynsym
  std::string name;
  uint64_t value, size;
  uint8_t bind, type, visibility;
  uint16_t shndx;
  uint16_t versym;      // raw entry (0x8000 = hidden) or 1 if there is no versym table
  std::string version;  // name of the verdef versym points to, empty if none
  bool is_default_version() const { return (versym & 0x8000) == 0; }
};

// The pre-6.15 time-namespace indirection an image's note declares: offsets
// from the data area's first byte.
struct TimensIndirection {
  uint64_t vvar_page_offset;    // the page holding the rng data and the clock mode
  uint64_t timens_page_offset;  // the page read instead inside a time namespace
  uint64_t clock_mode_offset;   // the s32 compared with VDSO_CLOCKMODE_TIMENS
};

struct DataLayout {  // decoded vdsoforge data-layout note
  uint32_t format;   // 1: the area alone; 2: with profile and indirection
  uint32_t page_size;
  uint64_t data_area_size;
  uint64_t rng_data_offset;
  const layout::Profile* profile = nullptr;  // format 2 naming a kernel's profile
  std::optional<TimensIndirection> timens;   // format 2 with the indirection flag
};

struct Violation {  // a rule broken, found in ParseMode::inspect
  Errc code;
  std::string message;
};

// How a walk through one symbol hash table ended.  Consumer models use it to
// say precisely why a look-up missed.
enum class HashMiss {
  none,          // a symbol was accepted
  no_table,      // the image has no such table
  empty_table,   // the table has no buckets (or, GNU, no bloom words)
  bloom_miss,    // GNU: a bit of the name's hash is clear in its bloom word
  empty_bucket,  // the name's bucket starts no chain (0, or below GNU symoffset)
  chain_end,     // the chain ended without an accepted candidate
  unreadable,    // the walk ran off the image before it ended
};
std::string_view hash_miss_name(HashMiss miss);

struct HashProbe {
  std::optional<uint32_t> index;  // .dynsym index of the accepted symbol
  HashMiss miss = HashMiss::none;
  // Candidates the predicate refused, in walk order (GNU: only those whose
  // chain hash matched the name's).
  std::vector<uint32_t> refused;
};

struct GnuHashHeader {  // the four words that open DT_GNU_HASH
  uint32_t nbuckets, symoffset, bloom_size, bloom_shift;
};
struct SysvHashHeader {  // the two words that open DT_HASH
  uint32_t nbucket, nchain;
};

// Decides whether a candidate on a hash chain is the symbol looked for.
using SymbolPredicate = std::function<bool(const Symbol&)>;

class ElfImage {
 public:
  // Copies `bytes`.  On failure returns nullopt and fills `err`.  The whole
  // file is expected (section headers included): a cut anywhere is refused,
  // so pass the kernel's vDSO as kernel_vdso_bytes() (vdsoforge/kernel_vdso.h)
  // returns it.
  static std::optional<ElfImage> parse(std::span<const uint8_t> bytes, ParseMode mode,
                                       ElfError& err);
  static std::optional<ElfImage> parse_file(const std::string& path, ParseMode mode, ElfError& err);

  std::span<const uint8_t> bytes() const { return bytes_; }
  const ElfIdentity& identity() const { return identity_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const Segment& load_segment() const { return segments_[load_index_]; }  // the first PT_LOAD
  const std::vector<Section>& sections() const { return sections_; }
  const std::vector<DynamicEntry>& dynamic() const { return dynamic_; }
  std::optional<uint64_t> dynamic_value(int64_t tag) const;
  std::string soname() const;
  const std::vector<Symbol>& symbols() const { return symbols_; }  // .dynsym, index 0 included
  const std::vector<VersionDefinition>& version_definitions() const { return verdefs_; }
  const std::vector<Note>& notes() const { return notes_; }
  // The data-layout note; nullopt if absent (the kernel's own vDSO has none).
  const std::optional<DataLayout>& data_layout() const { return data_layout_; }
  // Rule violations found (inspect mode); empty in strict mode.
  const std::vector<Violation>& violations() const { return violations_; }

  // Symbol look-up the way C libraries resolve vDSO symbols: through
  // DT_GNU_HASH if present, else DT_HASH.  With a version, only a defined,
  // non-local symbol whose default version (versym without the hidden bit) is
  // that version matches; an image without versym matches any version (glibc).
  const Symbol* lookup(std::string_view name, std::string_view version) const;
  // The same through one table only (nullptr if that table is absent), so
  // checks can prove each table finds every export.
  const Symbol* lookup_gnu_hash(std::string_view name, std::string_view version) const;
  const Symbol* lookup_sysv_hash(std::string_view name, std::string_view version) const;
  bool has_gnu_hash() const;
  bool has_sysv_hash() const;
  bool has_versym() const { return has_versym_; }

  // The walks behind the look-ups with the caller's own acceptance rule, for
  // models of consumers whose rules differ from glibc's.  `check_bloom` false
  // skips the GNU bloom filter, as consumers that never read it do.
  HashProbe probe_gnu_hash(std::string_view name, bool check_bloom,
                           const SymbolPredicate& accept) const;
  HashProbe probe_sysv_hash(std::string_view name, const SymbolPredicate& accept) const;
  // The tables' headers as stored (nullopt: no such table).
  std::optional<GnuHashHeader> gnu_hash_header() const;
  std::optional<SysvHashHeader> sysv_hash_header() const;

 private:
  ElfImage() = default;
  friend class ElfParser;

  std::vector<uint8_t> bytes_;
  ElfIdentity identity_{};
  std::vector<Segment> segments_;
  size_t load_index_ = 0;
  std::vector<Section> sections_;
  std::vector<DynamicEntry> dynamic_;
  std::vector<Symbol> symbols_;
  std::vector<VersionDefinition> verdefs_;
  std::vector<Note> notes_;
  std::optional<DataLayout> data_layout_;
  std::vector<Violation> violations_;
  // Hash-table locations (file offsets), validated at parse time.
  std::optional<uint64_t> gnu_hash_offset_, sysv_hash_offset_;
  std::string soname_;
  bool has_versym_ = false;
};

// The ELF (SysV) hash and the GNU hash of a name.
uint32_t elf_sysv_hash(std::string_view name);
uint32_t elf_gnu_hash(std::string_view name);

}  // namespace vdsoforge
