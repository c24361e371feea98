// musl 1.2: __vdsosym, which clock_gettime and sched_getcpu call once.
//
// Read from musl 1.2's src/internal/vdso.c (__vdsosym, checkver) and
// arch/x86_64/syscall_arch.h (VDSO_CGT_SYM, VDSO_GETCPU_SYM and versions).
//
// The rules that matter, and that other consumers do not share:
// - DT_HASH is required, but only for its nchain word: the symbols are
//   scanned linearly from index 0 to nchain - 1, so neither hash table's
//   buckets, chains or bloom filter matter, and DT_GNU_HASH is never read.
// - The version is compared by name only (no vd_hash); the hidden bit is
//   ignored.
// - The load bias comes from the last PT_LOAD.
// musl 1.2 does not look up __vdso_getrandom.
#include <elf.h>

#include "consumers/consumer_model.h"
#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

namespace {

std::optional<MissText> refusal(const ElfImage& image, const Symbol& s) {
  constexpr unsigned kTypes =
      1u << STT_NOTYPE | 1u << STT_OBJECT | 1u << STT_FUNC | 1u << STT_COMMON;
  constexpr unsigned kBinds = 1u << STB_GLOBAL | 1u << STB_WEAK | 1u << STB_GNU_UNIQUE;
  if (((1u << s.type) & kTypes) == 0) {
    return MissText{"symbol_type", symbol_label(s) + ": musl binds NOTYPE, OBJECT, FUNC, COMMON"};
  }
  if (((1u << s.bind) & kBinds) == 0) {
    return MissText{"binding", symbol_label(s) + ": musl binds GLOBAL, WEAK or UNIQUE only"};
  }
  if (s.shndx == SHN_UNDEF) {
    return MissText{"undefined", symbol_label(s) + " is undefined (SHN_UNDEF)"};
  }
  if (image.has_versym() && has_dynamic(image, DT_VERDEF)) {
    const VersionDefinition* definition = version_by_index(image, s.versym & 0x7fff);
    if (definition == nullptr) {
      return MissText{"version_index_mismatch", symbol_label(s) + " has versym index " +
                                                    std::to_string(s.versym & 0x7fff) +
                                                    ", which names no non-base version definition"};
    }
    if (definition->name != kVdsoVersion) {
      return MissText{"version_name_mismatch", symbol_label(s) + " is at version " +
                                                   definition->name + ", not " +
                                                   std::string(kVdsoVersion)};
    }
  }
  return std::nullopt;
}

class MuslModel final : public ConsumerModel {
 public:
  std::string_view id() const override { return "musl"; }
  std::string_view name() const override { return "musl 1.2"; }
  std::string_view source() const override {
    return "musl 1.2: src/internal/vdso.c, arch/x86_64/syscall_arch.h";
  }
  std::vector<Lookup> lookups() const override {
    const std::string fallback = "__vdsosym returns 0 and the function makes the system call";
    return {
        {"__vdso_clock_gettime", std::string(kVdsoVersion), Outcome::syscall_fallback, fallback},
        {"__vdso_getcpu", std::string(kVdsoVersion), Outcome::syscall_fallback, fallback}};
  }

 protected:
  Resolution resolve(const ElfImage& image, const Lookup& lookup) const override {
    const Segment* last_load = nullptr;
    for (const Segment& segment : image.segments()) {
      if (segment.type == PT_LOAD) last_load = &segment;
    }
    if (load_bias(*last_load) != true_load_bias(image)) {
      return failed(Outcome::unpredictable, "load_bias",
                    "__vdsosym takes the load bias from the last PT_LOAD (offset " +
                        hex(last_load->offset) + ", p_vaddr " + hex(last_load->vaddr) +
                        "), so it reads every table from the wrong place");
    }
    const auto sysv = image.sysv_hash_header();
    if (!sysv || !has_dynamic(image, DT_SYMTAB)) {
      return missed("no_sysv_hash",
                    "no DT_HASH: __vdsosym takes the symbol count from DT_HASH's nchain and "
                    "never reads DT_GNU_HASH, so it gives up");
    }
    const auto& symbols = image.symbols();
    std::optional<MissText> last_refusal;
    for (uint64_t i = 0; i < sysv->nchain; ++i) {
      if (i >= symbols.size()) {
        return failed(Outcome::unpredictable, "nchain_past_symbols",
                      "DT_HASH's nchain " + std::to_string(sysv->nchain) + " exceeds the " +
                          std::to_string(symbols.size()) +
                          " symbols of .dynsym: the scan reads whatever follows the table");
      }
      const Symbol& symbol = symbols[i];
      if (symbol.name != lookup.name) continue;
      last_refusal = refusal(image, symbol);
      if (!last_refusal) {
        return bound(symbol, static_cast<uint64_t>(load_bias(*last_load)) + symbol.value);
      }
    }
    if (last_refusal) return missed(last_refusal->code, last_refusal->reason);
    return missed("beyond_nchain", "no symbol named " + lookup.name + " among the first " +
                                       std::to_string(sysv->nchain) +
                                       " (DT_HASH's nchain) that __vdsosym scans");
  }
};

}  // namespace

std::unique_ptr<ConsumerModel> make_musl_model() { return std::make_unique<MuslModel>(); }

}  // namespace vdsoforge::tools::consumers
