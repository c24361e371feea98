// Go 1.24's runtime: a static Go program parses the vDSO itself at start-up.
//
// Read from Go 1.24's src/runtime/vdso_linux.go (vdsoInitFromSysinfoEhdr,
// vdsoFindVersion, vdsoParseSymbols, vdsoauxv), vdso_linux_amd64.go (the
// symbol keys and the LINUX_2.6 version key) and vgetrandom_linux.go
// (vgetrandomInit).
//
// The rules that matter, and that other consumers do not share:
// - The version is found once, by name and vd_hash (0x03ae75f6, the ELF hash
//   of "LINUX_2.6"); if no non-base definition matches both, the index is -1
//   and every symbol with a versym entry is refused.  The hidden bit is
//   ignored.
// - DT_GNU_HASH is used whenever present, without reading its bloom filter.
// - An image with DT_VERSYM/DT_HASH but no DT_VERDEF makes vdsoFindVersion
//   follow a nil pointer; a DT_GNU_HASH with no buckets is a division by
//   zero.  Both happen in the runtime's start-up, before any handler.
#include <elf.h>

#include "consumers/consumer_model.h"
#include "consumers/consumer_rules.h"
#include "vdsoforge/elf_names.h"

namespace vdsoforge::tools::consumers {

namespace {

constexpr uint32_t kVersionHash = 0x3ae75f6;  // vdsoLinuxVersion's hash

class GoModel final : public ConsumerModel {
 public:
  std::string_view id() const override { return "go"; }
  std::string_view name() const override { return "Go 1.24 runtime"; }
  std::string_view source() const override {
    return "Go 1.24: src/runtime/vdso_linux.go, vdso_linux_amd64.go, vgetrandom_linux.go";
  }
  std::vector<Lookup> lookups() const override {
    const std::string fallback =
        "the runtime's symbol address stays 0 and it makes the system call";
    return {
        {"__vdso_gettimeofday", std::string(kVdsoVersion), Outcome::syscall_fallback, fallback},
        {"__vdso_clock_gettime", std::string(kVdsoVersion), Outcome::syscall_fallback, fallback},
        {"__vdso_getrandom", std::string(kVdsoVersion), Outcome::syscall_fallback,
         "vgetrandomInit returns early and crypto/rand reads through the getrandom system call"},
    };
  }

 protected:
  Resolution resolve(const ElfImage& image, const Lookup& lookup) const override {
    if (!has_dynamic(image, DT_STRTAB) || !has_dynamic(image, DT_SYMTAB) ||
        (!image.has_gnu_hash() && !image.has_sysv_hash())) {
      return missed("no_hash_table",
                    "vdsoInitFromSysinfoEhdr needs DT_STRTAB, DT_SYMTAB and DT_GNU_HASH or "
                    "DT_HASH, and gives up on the vDSO without them");
    }
    if (!has_dynamic(image, DT_VERDEF)) {
      return failed(Outcome::crashes, "no_verdef",
                    "no DT_VERDEF: vdsoFindVersion walks a nil version-definition pointer, a "
                    "segmentation fault during runtime start-up");
    }
    // vdsoFindVersion: the first non-base definition matching name and hash.
    int32_t version = -1;
    for (const VersionDefinition& definition : image.version_definitions()) {
      if ((definition.flags & VER_FLG_BASE) == 0 && definition.hash == kVersionHash &&
          definition.name == kVdsoVersion) {
        version = definition.index & 0x7fff;
        break;
      }
    }
    const bool versioned = image.has_versym();

    std::optional<MissText> last_refusal;
    const auto accept = [&](const Symbol& s) {
      if (s.name != lookup.name) return false;
      if (s.type != STT_FUNC && s.type != STT_NOTYPE) {
        last_refusal = MissText{"symbol_type", symbol_label(s) + ": Go binds FUNC or NOTYPE only"};
      } else if (s.bind != STB_GLOBAL && s.bind != STB_WEAK) {
        last_refusal = MissText{"binding", symbol_label(s) + ": Go binds GLOBAL or WEAK only"};
      } else if (s.shndx == SHN_UNDEF) {
        last_refusal = MissText{"undefined", symbol_label(s) + " is undefined (SHN_UNDEF)"};
      } else if (versioned && int32_t{static_cast<int32_t>(s.versym & 0x7fff)} != version) {
        last_refusal = version_refusal(image, s, version);
      } else {
        return true;
      }
      return false;
    };

    HashProbe probe;
    std::string_view table;
    if (const auto gnu = image.gnu_hash_header()) {
      table = "DT_GNU_HASH";
      if (gnu->nbuckets == 0) {
        return failed(Outcome::crashes, "empty_hash_table",
                      "DT_GNU_HASH has 0 buckets: vdsoParseSymbols takes the name's hash modulo "
                      "0, an integer-division panic during runtime start-up");
      }
      probe = image.probe_gnu_hash(lookup.name, /*check_bloom=*/false, accept);
    } else {
      table = "DT_HASH";
      if (image.sysv_hash_header()->nbucket == 0) {
        return missed("empty_hash_table", "DT_HASH has 0 buckets: vdsoParseSymbols skips it");
      }
      probe = image.probe_sysv_hash(lookup.name, accept);
    }
    return walk_result(image, probe, table, lookup.name, last_refusal);
  }

 private:
  static MissText version_refusal(const ElfImage& image, const Symbol& symbol, int32_t version) {
    if (version >= 0) {
      return {"version_index_mismatch",
              symbol_label(symbol) + " has versym index " + std::to_string(symbol.versym & 0x7fff) +
                  ", not " + std::string(kVdsoVersion) + "'s index " + std::to_string(version)};
    }
    if (const VersionDefinition* named = version_by_name(image, kVdsoVersion)) {
      return {"vd_hash_mismatch",
              "the " + std::string(kVdsoVersion) + " version definition carries vd_hash " +
                  hex(named->hash) + ", Go's key is " + hex(kVersionHash) +
                  ": vdsoFindVersion matches no version, so every versioned symbol is refused"};
    }
    return {"version_missing", "no non-base version definition is named " +
                                   std::string(kVdsoVersion) +
                                   ": vdsoFindVersion matches no version, so every versioned "
                                   "symbol is refused"};
  }
};

}  // namespace

std::unique_ptr<ConsumerModel> make_go_model() { return std::make_unique<GoModel>(); }

}  // namespace vdsoforge::tools::consumers
