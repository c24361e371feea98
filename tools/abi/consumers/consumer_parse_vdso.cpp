// The kernel selftests' reference parser, as vdso_test_getrandom uses it.
//
// Read from Linux's tools/testing/selftests/vDSO/parse_vdso.c
// (vdso_init_from_sysinfo_ehdr, vdso_sym, check_sym, vdso_match_version), the
// version with DT_GNU_HASH support (torvalds/linux 032e8716), and
// vdso_test_getrandom.c (vgetrandom_init).
//
// The rules that matter, and that other consumers do not share:
// - Only STT_FUNC symbols are accepted (not NOTYPE).
// - The versym entry's definition must match the version's name and its
//   vd_hash (the ELF hash of "LINUX_2.6"); the hidden bit is ignored.
// - DT_GNU_HASH is used whenever present, without its bloom filter, and its
//   walk does not look at st_shndx (the DT_HASH walk does).
// - Zero buckets in the table it uses is a division by zero (SIGFPE).
#include <elf.h>

#include "consumers/consumer_model.h"
#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

namespace {

class ParseVdsoModel final : public ConsumerModel {
 public:
  std::string_view id() const override { return "parse_vdso"; }
  std::string_view name() const override {
    return "Linux selftests parse_vdso.c (vdso_test_getrandom)";
  }
  std::string_view source() const override {
    return "Linux tools/testing/selftests/vDSO/parse_vdso.c (with DT_GNU_HASH support, "
           "torvalds/linux 032e8716) and vdso_test_getrandom.c";
  }
  std::vector<Lookup> lookups() const override {
    return {{"__vdso_getrandom", std::string(kVdsoVersion), Outcome::exits,
             "vdso_test_getrandom prints \"__vdso_getrandom is missing!\" and exits with "
             "KSFT_FAIL"}};
  }

 protected:
  Resolution resolve(const ElfImage& image, const Lookup& lookup) const override {
    if (!has_dynamic(image, DT_STRTAB) || !has_dynamic(image, DT_SYMTAB) ||
        (!image.has_gnu_hash() && !image.has_sysv_hash())) {
      return missed("no_hash_table",
                    "vdso_init_from_sysinfo_ehdr needs DT_STRTAB, DT_SYMTAB and DT_GNU_HASH or "
                    "DT_HASH, and marks the vDSO invalid without them");
    }
    const bool versioned = image.has_versym() && has_dynamic(image, DT_VERDEF);
    const bool gnu = image.has_gnu_hash();

    std::optional<MissText> last_refusal;
    const auto accept = [&](const Symbol& s) {
      if (s.name != lookup.name) return false;
      if (!gnu && s.shndx == SHN_UNDEF) {
        last_refusal = MissText{"undefined", symbol_label(s) + " is undefined (SHN_UNDEF)"};
      } else if (s.type != STT_FUNC) {
        last_refusal =
            MissText{"symbol_type", symbol_label(s) + ": check_sym accepts STT_FUNC only"};
      } else if (s.bind != STB_GLOBAL && s.bind != STB_WEAK) {
        last_refusal =
            MissText{"binding", symbol_label(s) + ": check_sym accepts GLOBAL or WEAK only"};
      } else if (versioned) {
        last_refusal = version_refusal(image, s);
        if (!last_refusal) return true;
      } else {
        return true;
      }
      return false;
    };

    HashProbe probe;
    std::string_view table;
    if (gnu) {
      table = "DT_GNU_HASH";
      if (image.gnu_hash_header()->nbuckets == 0) {
        return failed(Outcome::crashes, "empty_hash_table",
                      "DT_GNU_HASH has 0 buckets: vdso_sym divides by nbucket 0 (SIGFPE)");
      }
      probe = image.probe_gnu_hash(lookup.name, /*check_bloom=*/false, accept);
    } else {
      table = "DT_HASH";
      if (image.sysv_hash_header()->nbucket == 0) {
        return failed(Outcome::crashes, "empty_hash_table",
                      "DT_HASH has 0 buckets: vdso_sym divides by nbucket 0 (SIGFPE)");
      }
      probe = image.probe_sysv_hash(lookup.name, accept);
    }
    return walk_result(image, probe, table, lookup.name, last_refusal);
  }

 private:
  // vdso_match_version: nullopt when the symbol's version is LINUX_2.6.
  static std::optional<MissText> version_refusal(const ElfImage& image, const Symbol& symbol) {
    const uint16_t index = symbol.versym & 0x7fff;
    const VersionDefinition* definition = version_by_index(image, index);
    if (definition == nullptr) {
      return MissText{"version_index_mismatch", symbol_label(symbol) + " has versym index " +
                                                    std::to_string(index) +
                                                    ", which names no non-base version definition"};
    }
    if (definition->hash != elf_sysv_hash(kVdsoVersion)) {
      return MissText{"vd_hash_mismatch",
                      "the version definition " + definition->name + " (index " +
                          std::to_string(index) + ") carries vd_hash " + hex(definition->hash) +
                          ", vdso_match_version wants " + hex(elf_sysv_hash(kVdsoVersion)) +
                          ", the ELF hash of " + std::string(kVdsoVersion)};
    }
    if (definition->name != kVdsoVersion) {
      return MissText{"version_name_mismatch", symbol_label(symbol) + " is at version " +
                                                   definition->name + ", not " +
                                                   std::string(kVdsoVersion)};
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<ConsumerModel> make_parse_vdso_model() {
  return std::make_unique<ParseVdsoModel>();
}

}  // namespace vdsoforge::tools::consumers
