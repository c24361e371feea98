// ElfImage look-ups: which symbol a C library's vDSO resolution would bind.
#include <elf.h>

#include <array>

#include "elf_hash_tables.h"
#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge {

namespace {

// Whether `sym` satisfies a request for `name` at `version` ("" = any
// version), given whether the image has a DT_VERSYM table at all.
bool satisfies(const Symbol& sym, std::string_view name, std::string_view version,
               bool has_versym) {
  if (sym.name != name) return false;
  if (sym.shndx == SHN_UNDEF) return false;
  if (sym.bind != STB_GLOBAL && sym.bind != STB_WEAK && sym.bind != STB_GNU_UNIQUE) return false;
  if (!is_bindable_type(sym.type)) return false;
  // glibc treats a zero-valued symbol as not defined here (the version
  // symbol itself, an ABS 0, is never a function to call).
  if (sym.value == 0 && sym.type != STT_TLS) return false;
  // Without versioning information glibc accepts any version.
  if (!has_versym) return true;
  // A hidden (non-default) version is only reachable by an exact versioned
  // reference from a linked object, never through vDSO look-up.
  if (!sym.is_default_version()) return false;
  return version.empty() || sym.version == version;
}

}  // namespace

const Symbol* ElfImage::lookup_gnu_hash(std::string_view name, std::string_view version) const {
  if (!gnu_hash_offset_) return nullptr;
  const auto index = elf_detail::find_in_gnu_hash(
      elf_detail::InputBytes(bytes_), *gnu_hash_offset_, symbols_.size(), elf_gnu_hash(name),
      [&](uint32_t i) { return satisfies(symbols_[i], name, version, has_versym_); });
  return index ? &symbols_[*index] : nullptr;
}

const Symbol* ElfImage::lookup_sysv_hash(std::string_view name, std::string_view version) const {
  if (!sysv_hash_offset_) return nullptr;
  const auto index = elf_detail::find_in_sysv_hash(
      elf_detail::InputBytes(bytes_), *sysv_hash_offset_, symbols_.size(), elf_sysv_hash(name),
      [&](uint32_t i) { return satisfies(symbols_[i], name, version, has_versym_); });
  return index ? &symbols_[*index] : nullptr;
}

const Symbol* ElfImage::lookup(std::string_view name, std::string_view version) const {
  // Like glibc: the GNU table when there is one, the SysV table otherwise.
  return has_gnu_hash() ? lookup_gnu_hash(name, version) : lookup_sysv_hash(name, version);
}

}  // namespace vdsoforge

namespace vdsoforge {

HashProbe ElfImage::probe_gnu_hash(std::string_view name, bool check_bloom,
                                   const SymbolPredicate& accept) const {
  if (!gnu_hash_offset_) return HashProbe{.index = std::nullopt, .miss = HashMiss::no_table};
  return elf_detail::walk_gnu_hash(elf_detail::InputBytes(bytes_), *gnu_hash_offset_,
                                   symbols_.size(), elf_gnu_hash(name), check_bloom,
                                   [&](uint32_t i) { return accept(symbols_[i]); });
}

HashProbe ElfImage::probe_sysv_hash(std::string_view name, const SymbolPredicate& accept) const {
  if (!sysv_hash_offset_) return HashProbe{.index = std::nullopt, .miss = HashMiss::no_table};
  return elf_detail::walk_sysv_hash(elf_detail::InputBytes(bytes_), *sysv_hash_offset_,
                                    symbols_.size(), elf_sysv_hash(name),
                                    [&](uint32_t i) { return accept(symbols_[i]); });
}

}  // namespace vdsoforge

namespace vdsoforge {

std::optional<GnuHashHeader> ElfImage::gnu_hash_header() const {
  std::array<uint32_t, 4> words{};
  if (!gnu_hash_offset_ || !elf_detail::InputBytes(bytes_).try_read(*gnu_hash_offset_, words)) {
    return std::nullopt;
  }
  return GnuHashHeader{words[0], words[1], words[2], words[3]};
}

std::optional<SysvHashHeader> ElfImage::sysv_hash_header() const {
  std::array<uint32_t, 2> words{};
  if (!sysv_hash_offset_ || !elf_detail::InputBytes(bytes_).try_read(*sysv_hash_offset_, words)) {
    return std::nullopt;
  }
  return SysvHashHeader{words[0], words[1]};
}

}  // namespace vdsoforge
