// ElfParser: symbol versioning (DT_VERDEF definitions, DT_VERSYM per symbol).
#include <elf.h>

#include <algorithm>

#include "elf_parser.h"

namespace vdsoforge {

bool ElfParser::parse_version_definitions() {
  const auto verdef = image_.dynamic_value(DT_VERDEF);
  if (!verdef) return true;
  const auto count = image_.dynamic_value(DT_VERDEFNUM);
  if (!count) return fail(Errc::bad_version_table, "DT_VERDEF is present without DT_VERDEFNUM");
  if (*count == 0)
    return fail(Errc::bad_version_table, "DT_VERDEFNUM is 0 but DT_VERDEF is present");

  uint64_t span_begin = UINT64_MAX, span_end = 0;
  const auto cover = [&](uint64_t offset, uint64_t size) {
    span_begin = std::min(span_begin, offset);
    span_end = std::max(span_end, offset + size);
  };

  uint64_t entry_vaddr = *verdef;
  // Each step moves forward by at least one entry (vd_next >= 20 is checked),
  // so the walk ends even if DT_VERDEFNUM is huge.
  for (uint64_t k = 0; k < *count; ++k) {
    const std::string name = "DT_VERDEF entry " + std::to_string(k);
    uint64_t offset = 0;
    if (!locate(name, Errc::bad_version_table, entry_vaddr, 0, sizeof(Elf64_Verdef), offset)) {
      return false;
    }
    cover(offset, sizeof(Elf64_Verdef));
    const auto vd = in_.read<Elf64_Verdef>(offset);
    const std::string at = name + " at offset " + hex(offset);
    if (vd.vd_version != VER_DEF_CURRENT) {
      return fail(Errc::bad_version_table,
                  at + ": vd_version is " + std::to_string(vd.vd_version) + ", expected 1");
    }
    if (vd.vd_cnt == 0) return fail(Errc::bad_version_table, at + " has no name (vd_cnt is 0)");
    if (vd.vd_aux < sizeof(Elf64_Verdef)) {
      return fail(Errc::bad_version_table,
                  at + ": vd_aux " + std::to_string(vd.vd_aux) + " points into the entry itself");
    }
    for (const VersionDefinition& other : image_.verdefs_) {
      if (other.index == vd.vd_ndx) {
        return fail(Errc::bad_version_table,
                    at + " repeats version index " + std::to_string(vd.vd_ndx));
      }
    }

    // The first auxiliary entry names the version; later ones name parents.
    std::string version_name;
    uint64_t aux_vaddr = entry_vaddr;
    uint64_t aux_delta = vd.vd_aux;
    for (uint16_t a = 0; a < vd.vd_cnt; ++a) {
      uint64_t aux_offset = 0;
      if (!locate(name + " auxiliary entry " + std::to_string(a), Errc::bad_version_table,
                  aux_vaddr, aux_delta, sizeof(Elf64_Verdaux), aux_offset)) {
        return false;
      }
      cover(aux_offset, sizeof(Elf64_Verdaux));
      const auto aux = in_.read<Elf64_Verdaux>(aux_offset);
      if (a == 0 && !dynamic_string(name + ": vda_name", Errc::bad_version_table, aux.vda_name,
                                    version_name)) {
        return false;
      }
      if (a + 1 < vd.vd_cnt && aux.vda_next < sizeof(Elf64_Verdaux)) {
        return fail(Errc::bad_version_table, name + " auxiliary entry " + std::to_string(a) +
                                                 " at offset " + hex(aux_offset) + ": vda_next " +
                                                 std::to_string(aux.vda_next) +
                                                 " does not move past the entry");
      }
      // The auxiliary chain must stay inside the address space; locate()
      // reports an overflow of vaddr + delta.
      if (__builtin_add_overflow(aux_vaddr, aux_delta, &aux_vaddr)) aux_vaddr = UINT64_MAX;
      aux_delta = aux.vda_next;
    }

    const uint32_t expected_hash = elf_sysv_hash(version_name);
    image_.verdefs_.push_back(VersionDefinition{vd.vd_ndx, vd.vd_flags, vd.vd_cnt, vd.vd_hash,
                                                vd.vd_hash == expected_hash, version_name});
    if (vd.vd_hash != expected_hash &&
        !rule(Errc::bad_version_table, at + " (" + version_name + "): vd_hash " + hex(vd.vd_hash) +
                                           " is not the ELF hash of its name (" +
                                           hex(expected_hash) + ")")) {
      return false;
    }

    const bool last = k + 1 == *count;
    if (last && vd.vd_next != 0) {
      return fail(Errc::bad_version_table, at + ": the chain goes on (vd_next " +
                                               std::to_string(vd.vd_next) + ") past DT_VERDEFNUM " +
                                               std::to_string(*count) + " entries");
    }
    if (!last && vd.vd_next == 0) {
      return fail(Errc::bad_version_table, at + ": the chain ends after " + std::to_string(k + 1) +
                                               " entries but DT_VERDEFNUM is " +
                                               std::to_string(*count));
    }
    if (!last && vd.vd_next < sizeof(Elf64_Verdef)) {
      return fail(Errc::bad_version_table, at + ": vd_next " + std::to_string(vd.vd_next) +
                                               " makes the next entry overlap this one");
    }
    if (!last && __builtin_add_overflow(entry_vaddr, uint64_t{vd.vd_next}, &entry_vaddr)) {
      return fail(Errc::bad_version_table, at + ": vd_next overflows the address space");
    }
  }
  regions_.push_back(Region{"DT_VERDEF version definitions", Errc::bad_version_table, span_begin,
                            span_end - span_begin});
  return true;
}

bool ElfParser::parse_version_symbols() {
  const auto versym = image_.dynamic_value(DT_VERSYM);
  if (!versym) return true;
  uint64_t offset = 0;
  const uint64_t size = image_.symbols_.size() * sizeof(Elf64_Versym);
  if (!locate("DT_VERSYM version table (" + std::to_string(image_.symbols_.size()) + " entries)",
              Errc::bad_version_table, *versym, 0, size, offset)) {
    return false;
  }
  regions_.push_back(Region{"DT_VERSYM version table", Errc::bad_version_table, offset, size});
  // A table laid over another is reported as that, before its entries are
  // read as version indices: what they decode to depends on whose bytes they
  // are (with two exports they happened to be valid indices, with twelve not).
  if (!check_overlaps()) return false;
  versym_offset_ = offset;
  image_.has_versym_ = true;
  for (Symbol& sym : image_.symbols_) {
    const uint64_t at = offset + uint64_t{sym.index} * sizeof(Elf64_Versym);
    sym.versym = in_.read<Elf64_Versym>(at);
    const uint16_t index = sym.versym & 0x7fff;
    if (index == VER_NDX_LOCAL) continue;
    const auto def = std::find_if(image_.verdefs_.begin(), image_.verdefs_.end(),
                                  [&](const VersionDefinition& v) { return v.index == index; });
    if (def != image_.verdefs_.end()) {
      sym.version = def->name;
    } else if (index != VER_NDX_GLOBAL && sym.shndx != SHN_UNDEF) {
      // Undefined symbols may carry DT_VERNEED indices; defined ones must
      // name a version this image defines.  The entry was read within
      // bounds, so inspect mode goes on with the symbol unversioned and the
      // consumer models say what each C library makes of it.
      if (!rule(Errc::bad_version_table, "DT_VERSYM entry " + std::to_string(sym.index) +
                                             " (symbol " + sym.name + ") at offset " + hex(at) +
                                             " names version index " + std::to_string(index) +
                                             ", which no DT_VERDEF entry defines")) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace vdsoforge
