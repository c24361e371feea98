// LLVM libc: vdso::get_symbol and the cache it fills once.
//
// Read from llvm-project's libc/src/__support/OSUtil/linux/vdso.cpp
// (initialize_vdso_global_cache, PhdrInfo, populate_symbol_cache,
// find_version) and x86_64/vdso.h (names and version), as of llvm-project
// commit 16f74268 (2024).
//
// The rules that matter, and that other consumers do not share:
// - No hash table is read: the symbol count is .dynsym's sh_size /
//   sh_entsize from the section headers, so an image mapped without its
//   section headers (or with none) yields no symbols.
// - Every symbol of the right name and version is taken, whatever its
//   binding, type or section (an undefined or LOCAL one too); the last one
//   in .dynsym wins.  The version is compared by name only.
// - The program-header scan stops at the first PT_DYNAMIC, with the load
//   bias of the last PT_LOAD before it (or none at all).
// LLVM libc does not look up __vdso_getrandom on x86-64.
#include <elf.h>

#include "consumers/consumer_model.h"
#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

namespace {

class LlvmLibcModel final : public ConsumerModel {
 public:
  std::string_view id() const override { return "llvm_libc"; }
  std::string_view name() const override { return "LLVM libc (llvm-project 16f74268)"; }
  std::string_view source() const override {
    return "llvm-project: libc/src/__support/OSUtil/linux/vdso.cpp, x86_64/vdso.h";
  }
  std::vector<Lookup> lookups() const override {
    std::vector<Lookup> list;
    for (const char* symbol :
         {"__vdso_clock_gettime", "__vdso_getcpu", "__vdso_gettimeofday", "__vdso_time"}) {
      list.push_back(Lookup{symbol, std::string(kVdsoVersion), Outcome::syscall_fallback,
                            "get_symbol returns nullptr and the caller makes the system call"});
    }
    return list;
  }

 protected:
  Resolution resolve(const ElfImage& image, const Lookup& lookup) const override {
    const Section* dynsym = nullptr;
    for (const Section& section : image.sections()) {
      if (section.type == SHT_DYNSYM) {
        dynsym = &section;
        break;
      }
    }
    if (dynsym == nullptr) {
      return missed("no_dynsym_section",
                    "no SHT_DYNSYM section header: LLVM libc counts the symbols from the section "
                    "headers and finds none");
    }
    if (dynsym->entsize == 0) {
      return failed(Outcome::crashes, "dynsym_entsize_zero",
                    ".dynsym's sh_entsize is 0: the symbol count divides by zero (SIGFPE)");
    }
    const uint64_t count = dynsym->size / dynsym->entsize;

    // PhdrInfo::from stops at the first PT_DYNAMIC.
    const Segment* load = nullptr;
    for (const Segment& segment : image.segments()) {
      if (segment.type == PT_LOAD) load = &segment;
      if (segment.type == PT_DYNAMIC) break;
    }
    if (load == nullptr) {
      return failed(Outcome::unpredictable, "dynamic_before_load",
                    "PT_DYNAMIC comes before any PT_LOAD: the scan stops there with the load "
                    "address still the invalid marker, and every table is read from there");
    }
    if (load_bias(*load) != true_load_bias(image)) {
      return failed(Outcome::unpredictable, "load_bias",
                    "the load bias comes from the last PT_LOAD before PT_DYNAMIC (p_vaddr " +
                        hex(load->vaddr) + "), so every table is read from the wrong place");
    }
    if (count > image.symbols().size()) {
      return failed(Outcome::unpredictable, "dynsym_count_past_symbols",
                    ".dynsym's section header counts " + std::to_string(count) +
                        " symbols, more than the table holds: the scan reads what follows it");
    }

    const bool versioned = image.has_versym() && has_dynamic(image, DT_VERDEF);
    const Symbol* chosen = nullptr;
    std::optional<MissText> last_refusal;
    for (uint64_t j = 0; j < count; ++j) {
      const Symbol& symbol = image.symbols()[j];
      if (symbol.name != lookup.name) continue;
      if (versioned) {
        const VersionDefinition* definition = version_by_index(image, symbol.versym & 0x7fff);
        const std::string name = definition ? definition->name : "";
        if (name != kVdsoVersion) {
          last_refusal = MissText{definition ? "version_name_mismatch" : "version_index_mismatch",
                                  symbol_label(symbol) +
                                      (definition ? " is at version " + name
                                                  : " has a versym index naming no non-base "
                                                    "version definition") +
                                      ", not " + std::string(kVdsoVersion)};
          continue;
        }
      }
      chosen = &symbol;  // no break: a later match overwrites an earlier one
    }
    if (chosen) return bound(*chosen, static_cast<uint64_t>(load_bias(*load)) + chosen->value);
    if (last_refusal) return missed(last_refusal->code, last_refusal->reason);
    return missed("not_in_symbol_range", "no symbol named " + lookup.name + " among the " +
                                             std::to_string(count) +
                                             " .dynsym entries the section header counts");
  }
};

}  // namespace

std::unique_ptr<ConsumerModel> make_llvm_libc_model() { return std::make_unique<LlvmLibcModel>(); }

}  // namespace vdsoforge::tools::consumers
