// glibc 2.41: how ld.so (or a static program's start-up code) resolves the
// vDSO's symbols.
//
// Read from glibc 2.41's sources: elf/setup-vdso.h (setup_vdso),
// sysdeps/unix/sysv/linux/dl-vdso.h (dl_vdso_vsym), dl-vdso-setup.h
// (setup_vdso_pointers), elf/rtld.c (the order of start-up steps),
// elf/dl-lookup.c (_dl_setup_hash, do_lookup_x, check_match) and
// sysdeps/unix/sysv/linux/x86_64/sysdep.h (the names).
//
// The rules that matter, and that other consumers do not share:
// - The look-ups run in setup_vdso_pointers(), right after setup_vdso() and
//   before the version checks that would fill the map's version table, so
//   check_match sees no versym table and accepts any version: a wrong
//   vd_hash, a renamed or missing version, even the hidden bit, pass.
// - DT_GNU_HASH is used whenever present (DT_HASH only without it), and its
//   bloom filter is trusted: a clear bit means "not here".
// - The load bias comes from the first PT_LOAD with a non-zero p_vaddr.
// - After a chain entry matches, a hidden/internal visibility or a LOCAL
//   binding makes the look-up fail (it does not try further entries).
// - Two start-up steps dereference dynamic entries they assume present
//   (elf/get-dynamic-info.h in setup_vdso, elf/dl-version.c's
//   _dl_check_map_versions later in rtld.c): DT_RELA without DT_RELAENT, or
//   version definitions without DT_VERSYM, crash the program before main.
//   Both were found by running glibc 2.41 on such images under
//   `vdsoforge exec` (tests/exec/test_consumer_verdicts.cpp).
#include <elf.h>

#include "consumers/consumer_model.h"
#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

namespace {

// check_match's reasons to pass over a chain entry (version aside: none).
std::optional<MissText> refusal(const Symbol& symbol, std::string_view name) {
  if (symbol.name != name) return MissText{"other_name", symbol.name};
  if (symbol.value == 0 && symbol.shndx != SHN_ABS && symbol.type != STT_TLS) {
    return MissText{"zero_value", symbol_label(symbol) +
                                      " has st_value 0, which check_match treats as undefined"};
  }
  if (is_bindable_type(symbol.type)) return std::nullopt;
  return MissText{"symbol_type", symbol_label(symbol) + " has a type check_match never binds"};
}

// Relocation entry sizes elf_get_dynamic_info asserts (x86-64).
constexpr uint64_t kRelaEntrySize = 24, kRelEntrySize = 16;

class GlibcModel final : public ConsumerModel {
 public:
  std::string_view id() const override { return "glibc"; }
  std::string_view name() const override { return "glibc 2.41"; }
  std::string_view source() const override {
    return "glibc 2.41: elf/setup-vdso.h, elf/rtld.c, elf/dl-lookup.c, "
           "sysdeps/unix/sysv/linux/dl-vdso.h, dl-vdso-setup.h, x86_64/sysdep.h";
  }
  std::vector<Lookup> lookups() const override {
    std::vector<Lookup> list;
    for (const char* symbol : {"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
                               "__vdso_getcpu", "__vdso_clock_getres", "__vdso_getrandom"}) {
      list.push_back(Lookup{symbol, std::string(kVdsoVersion), Outcome::syscall_fallback,
                            "its GLRO pointer stays NULL and the wrapper makes the system call"});
    }
    return list;
  }

 protected:
  Resolution resolve(const ElfImage& image, const Lookup& lookup) const override {
    if (std::optional<Resolution> stop = startup_crash(image)) return *stop;
    // setup_vdso: l_addr starts at 0 and takes the p_vaddr of the first
    // PT_LOAD whose p_vaddr is not 0; the map's base is the header minus it.
    uint64_t first_nonzero_vaddr = 0;
    size_t from = 0;
    for (size_t i = 0; i < image.segments().size(); ++i) {
      const Segment& segment = image.segments()[i];
      if (segment.type == PT_LOAD && first_nonzero_vaddr == 0 && segment.vaddr != 0) {
        first_nonzero_vaddr = segment.vaddr;
        from = i;
      }
    }
    const int64_t bias = -static_cast<int64_t>(first_nonzero_vaddr);
    if (bias != true_load_bias(image)) {
      return failed(Outcome::unpredictable, "load_bias",
                    "setup_vdso takes the load bias from the first PT_LOAD with a non-zero "
                    "p_vaddr (program header " +
                        std::to_string(from) + ", p_vaddr " + hex(first_nonzero_vaddr) +
                        "), so it reads the dynamic section and every table from the wrong place");
    }

    const auto accept = [&](const Symbol& s) { return !refusal(s, lookup.name); };
    HashProbe probe;
    std::string_view table;
    if (const auto gnu = image.gnu_hash_header()) {
      table = "DT_GNU_HASH";
      if (gnu->nbuckets == 0) {
        return missed("empty_hash_table",
                      "DT_GNU_HASH has 0 buckets: do_lookup_x skips an object without buckets");
      }
      if (gnu->bloom_size == 0) {
        return failed(Outcome::unpredictable, "bloom_size_zero",
                      "DT_GNU_HASH has 0 bloom words: _dl_setup_hash's index mask becomes "
                      "0xffffffff and the look-up reads a bloom word far outside the table");
      }
      if ((gnu->bloom_size & (gnu->bloom_size - 1)) != 0) {
        return failed(Outcome::crashes, "bloom_size_not_power_of_two",
                      "DT_GNU_HASH has " + std::to_string(gnu->bloom_size) +
                          " bloom words: _dl_setup_hash asserts a power of two, and ld.so stops "
                          "with an assertion failure before main");
      }
      probe = image.probe_gnu_hash(lookup.name, /*check_bloom=*/true, accept);
    } else if (const auto sysv = image.sysv_hash_header()) {
      table = "DT_HASH";
      if (sysv->nbucket == 0) {
        return missed("empty_hash_table",
                      "DT_HASH has 0 buckets: do_lookup_x skips an object without buckets");
      }
      probe = image.probe_sysv_hash(lookup.name, accept);
    } else {
      return missed("no_hash_table",
                    "neither DT_GNU_HASH nor DT_HASH: _dl_setup_hash leaves the object without "
                    "buckets and do_lookup_x skips it");
    }

    if (probe.index) {
      const Symbol& symbol = image.symbols()[*probe.index];
      // do_lookup_x's found_it: these end the search of the object.
      if (symbol.visibility == STV_HIDDEN || symbol.visibility == STV_INTERNAL) {
        return missed("hidden_visibility",
                      symbol_label(symbol) + " has " + symbol_visibility_name(symbol.visibility) +
                          " visibility: do_lookup_x treats it as local and stops searching");
      }
      if (symbol.bind != STB_GLOBAL && symbol.bind != STB_WEAK && symbol.bind != STB_GNU_UNIQUE) {
        return missed("local_binding", symbol_label(symbol) +
                                           ": do_lookup_x finds it first on the chain but ignores "
                                           "a definition that is not GLOBAL, WEAK or UNIQUE");
      }
      return bound(symbol, static_cast<uint64_t>(bias) + symbol.value);
    }
    if (const auto index = refused_named(image, probe, lookup.name)) {
      return missed(refusal(image.symbols()[*index], lookup.name)->code,
                    refusal(image.symbols()[*index], lookup.name)->reason);
    }
    const MissText miss = hash_walk_miss(probe, table, lookup.name);
    return missed(miss.code, miss.reason);
  }

 private:
  // What stops ld.so before any look-up matters: the program dies whatever
  // symbol is asked for.
  static std::optional<Resolution> startup_crash(const ElfImage& image) {
    // elf_get_dynamic_info asserts each relocation table's entry size by
    // reading its DT_*ENT entry, present or not (a NULL pointer when absent).
    const auto entry_size_check = [&](int64_t table, int64_t entry, uint64_t size,
                                      const char* table_name,
                                      const char* entry_name) -> std::optional<Resolution> {
      if (!image.dynamic_value(table)) return std::nullopt;
      const std::optional<uint64_t> given = image.dynamic_value(entry);
      if (!given)
        return failed(Outcome::crashes, "relocation_entry_size_missing",
                      std::string(table_name) + " without " + entry_name +
                          ": elf_get_dynamic_info (setup_vdso) reads the missing entry's value "
                          "through a NULL pointer");
      if (*given != size)
        return failed(Outcome::crashes, "relocation_entry_size",
                      std::string(entry_name) + " is " + std::to_string(*given) + ", not " +
                          std::to_string(size) +
                          ": elf_get_dynamic_info's assertion stops ld.so before main");
      return std::nullopt;
    };
    if (auto stop = entry_size_check(DT_RELA, DT_RELAENT, kRelaEntrySize, "DT_RELA", "DT_RELAENT"))
      return stop;
    if (auto stop = entry_size_check(DT_REL, DT_RELENT, kRelEntrySize, "DT_REL", "DT_RELENT"))
      return stop;
    if (const auto pltrel = image.dynamic_value(DT_PLTREL);
        pltrel && *pltrel != DT_REL && *pltrel != DT_RELA)
      return failed(Outcome::crashes, "pltrel_kind",
                    "DT_PLTREL is " + std::to_string(*pltrel) +
                        ", neither DT_REL nor DT_RELA: elf_get_dynamic_info's assertion stops "
                        "ld.so before main");
    // _dl_check_map_versions sizes the version table from the definitions
    // and then takes the DT_VERSYM address without checking it exists.
    if (!image.version_definitions().empty() && !image.dynamic_value(DT_VERSYM))
      return failed(Outcome::crashes, "verdef_without_versym",
                    "version definitions but no DT_VERSYM: _dl_check_map_versions reads the "
                    "missing entry through a NULL pointer after the look-ups, before main");
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<ConsumerModel> make_glibc_model() { return std::make_unique<GlibcModel>(); }

}  // namespace vdsoforge::tools::consumers
