// ElfParser: the dynamic section, the string table and the rules on dynamic
// tags (no relocations, no DT_NEEDED).
#include <elf.h>

#include <cstring>

#include "elf_parser.h"
#include "vdsoforge/elf_names.h"
#include "vdsoforge/vdso_rules.h"

namespace vdsoforge {

bool ElfParser::parse_dynamic() {
  const Segment& dyn = *dynamic_segment_;
  if (!in_.contains(dyn.offset, dyn.filesz)) {
    return fail(Errc::bad_dynamic, "PT_DYNAMIC at offset " + hex(dyn.offset) + " (" +
                                       byte_count(dyn.filesz) + ") runs past the end of the " +
                                       hex(in_.size()) + "-byte image");
  }
  // The dynamic linker finds the dynamic section by address in the mapped
  // image, so it must be inside the PT_LOAD and agree with its file offset.
  uint64_t offset = 0;
  if (!locate("PT_DYNAMIC dynamic section", Errc::bad_dynamic, dyn.vaddr, 0, dyn.filesz, offset)) {
    return false;
  }
  if (offset != dyn.offset) {
    return fail(Errc::bad_dynamic, "PT_DYNAMIC at offset " + hex(dyn.offset) + " has address " +
                                       hex(dyn.vaddr) + ", which the PT_LOAD maps from offset " +
                                       hex(offset));
  }
  const uint64_t capacity = dyn.filesz / sizeof(Elf64_Dyn);
  for (uint64_t i = 0; i < capacity; ++i) {
    const auto d = in_.read<Elf64_Dyn>(offset + i * sizeof(Elf64_Dyn));
    if (d.d_tag == DT_NULL) {
      regions_.push_back(
          Region{"dynamic section", Errc::bad_dynamic, offset, (i + 1) * sizeof(Elf64_Dyn)});
      return true;
    }
    image_.dynamic_.push_back(DynamicEntry{d.d_tag, d.d_un.d_val});
  }
  return fail(Errc::bad_dynamic, "dynamic section at offset " + hex(offset) + " (" +
                                     std::to_string(capacity) +
                                     " entries) has no DT_NULL terminator");
}

bool ElfParser::locate_string_table() {
  const auto strtab = image_.dynamic_value(DT_STRTAB);
  const auto strsz = image_.dynamic_value(DT_STRSZ);
  if (!strtab) return fail(Errc::bad_string_table, "the dynamic section has no DT_STRTAB");
  if (!strsz) return fail(Errc::bad_string_table, "the dynamic section has no DT_STRSZ");
  if (!locate("DT_STRTAB string table (DT_STRSZ " + hex(*strsz) + ")", Errc::bad_string_table,
              *strtab, 0, *strsz, strtab_offset_)) {
    return false;
  }
  strtab_size_ = *strsz;
  regions_.push_back(
      Region{"DT_STRTAB string table", Errc::bad_string_table, strtab_offset_, strtab_size_});
  return true;
}

bool ElfParser::dynamic_string(std::string_view what, Errc code, uint64_t offset,
                               std::string& out) {
  if (offset >= strtab_size_) {
    return fail(code, std::string(what) + " " + hex(offset) +
                          " is past the end of the DT_STRTAB string table (DT_STRSZ " +
                          hex(strtab_size_) + ")");
  }
  const auto* begin = in_.data() + strtab_offset_ + offset;
  const auto* nul = static_cast<const uint8_t*>(std::memchr(begin, 0, strtab_size_ - offset));
  if (nul == nullptr) {
    return fail(Errc::bad_string_table,
                std::string(what) + ": the string at DT_STRTAB + " + hex(offset) +
                    " is not NUL-terminated within DT_STRSZ " + hex(strtab_size_));
  }
  out.assign(reinterpret_cast<const char*>(begin), static_cast<size_t>(nul - begin));
  return true;
}

bool ElfParser::check_dynamic_rules() {
  for (size_t i = 0; i < image_.dynamic_.size(); ++i) {
    const DynamicEntry& d = image_.dynamic_[i];
    const std::string where = " (dynamic entry " + std::to_string(i) + " at offset " +
                              hex(dynamic_segment_->offset + i * sizeof(Elf64_Dyn)) + ")";
    if (d.tag == DT_SONAME) {
      if (!dynamic_string("DT_SONAME name offset", Errc::bad_string_table, d.value,
                          image_.soname_)) {
        return false;
      }
    } else if (d.tag == DT_NEEDED) {
      std::string library;
      if (!dynamic_string("DT_NEEDED name offset", Errc::bad_string_table, d.value, library)) {
        return false;
      }
      if (!rule(Errc::has_needed,
                "DT_NEEDED " + library + where + ": a vDSO depends on no other object")) {
        return false;
      }
    } else if (vdso_rules::applies_relocations(d.tag)) {
      if (!rule(Errc::has_relocations, "relocation tag " + dynamic_tag_name(d.tag) + where +
                                           ": a vDSO is never relocated")) {
        return false;
      }
    } else if (d.tag == DT_FLAGS && (d.value & DF_TEXTREL) != 0) {
      if (!rule(Errc::has_relocations, "DT_FLAGS has DF_TEXTREL" + where)) return false;
    } else if (d.tag == DT_SYMENT && d.value != sizeof(Elf64_Sym)) {
      return fail(Errc::bad_symbol_table,
                  "DT_SYMENT is " + std::to_string(d.value) + ", expected 24" + where);
    }
  }
  return true;
}

}  // namespace vdsoforge
