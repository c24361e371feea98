// ElfParser: driver, error reporting, address translation, ELF and program
// headers, and the overlap check that runs once every table is known.
#include "elf_parser.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace vdsoforge {

using elf_detail::range_fits;

ElfParser::ElfParser(std::span<const uint8_t> bytes, ParseMode mode, ElfError& err)
    : in_(std::span<const uint8_t>{}), mode_(mode), err_(err) {
  image_.bytes_.assign(bytes.begin(), bytes.end());
  // The view points into the vector's heap buffer, which moving the image
  // out of the parser does not reallocate.
  in_ = elf_detail::InputBytes(image_.bytes_);
}

std::optional<ElfImage> ElfParser::run() {
  err_ = ElfError{};
  const bool ok = parse_header() && parse_program_headers() && parse_sections() &&
                  parse_dynamic() && locate_string_table() && parse_sysv_hash() &&
                  parse_gnu_hash() && settle_symbol_count() && parse_symbols() &&
                  check_local_symbols_first() && parse_version_definitions() &&
                  parse_version_symbols() && check_dynamic_rules() &&
                  check_hash_tables_find_exports() && parse_notes() && check_overlaps();
  if (!ok) return std::nullopt;
  return std::move(image_);
}

bool ElfParser::fail(Errc code, std::string message) {
  err_.code = code;
  err_.message = std::move(message);
  return false;
}

bool ElfParser::rule(Errc code, std::string message) {
  if (mode_ == ParseMode::strict) return fail(code, std::move(message));
  image_.violations_.push_back(Violation{code, std::move(message)});
  return true;
}

bool ElfParser::locate(std::string_view what, Errc code, uint64_t vaddr, uint64_t delta,
                       uint64_t size, uint64_t& offset) {
  uint64_t start = 0;
  if (__builtin_add_overflow(vaddr, delta, &start)) {
    return fail(code, std::string(what) + " at address " + hex(vaddr) + " + " + hex(delta) +
                          " overflows the address space");
  }
  for (const Segment& seg : image_.segments_) {
    if (seg.type != PT_LOAD || start < seg.vaddr) continue;
    const uint64_t rel = start - seg.vaddr;
    // A table must be backed by file bytes, not by the zero-filled tail.
    if (rel > seg.filesz || (rel == seg.filesz && size != 0)) continue;
    if (size > seg.filesz - rel) {
      return fail(code, std::string(what) + " at offset " + hex(seg.offset + rel) + " (" +
                            byte_count(size) + ") runs past the end of the loadable segment (" +
                            hex(seg.filesz) + " bytes in the file)");
    }
    offset = seg.offset + rel;
    return true;
  }
  const Segment& load = image_.load_segment();
  return fail(code, std::string(what) + " at address " + hex(start) + " (" + byte_count(size) +
                        ") lies outside the loadable segment (" + hex(load.vaddr) + "-" +
                        hex(load.vaddr + load.filesz) + ")");
}

bool ElfParser::parse_header() {
  // The magic first: a short text file is not an ELF file, not a truncated
  // one.  (An empty file, or a prefix of the magic, is a truncated ELF file.)
  const size_t magic_bytes = static_cast<size_t>(std::min<uint64_t>(in_.size(), SELFMAG));
  if (magic_bytes > 0 && std::memcmp(in_.data(), ELFMAG, magic_bytes) != 0) {
    return fail(Errc::bad_magic, "not an ELF file: e_ident magic at offset 0x0 is not \\x7fELF");
  }
  if (!in_.contains(0, sizeof(Elf64_Ehdr))) {
    return fail(Errc::truncated, "ELF header (64 bytes) runs past the end of the " +
                                     hex(in_.size()) + "-byte image");
  }
  const auto eh = in_.read<Elf64_Ehdr>(0);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return fail(Errc::bad_class, "e_ident[EI_CLASS] at offset 0x4 is " +
                                     std::to_string(eh.e_ident[EI_CLASS]) +
                                     ", expected 2 (ELFCLASS64)");
  }
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return fail(Errc::bad_endianness, "e_ident[EI_DATA] at offset 0x5 is " +
                                          std::to_string(eh.e_ident[EI_DATA]) +
                                          ", expected 1 (little endian)");
  }
  if (eh.e_ident[EI_VERSION] != EV_CURRENT) {
    return fail(Errc::bad_version, "e_ident[EI_VERSION] at offset 0x6 is " +
                                       std::to_string(eh.e_ident[EI_VERSION]) + ", expected 1");
  }
  if (eh.e_type != ET_DYN) {
    return fail(Errc::bad_type,
                "e_type at offset 0x10 is " + std::to_string(eh.e_type) + ", expected 3 (ET_DYN)");
  }
  if (eh.e_machine != EM_X86_64) {
    return fail(Errc::bad_machine, "e_machine at offset 0x12 is " + std::to_string(eh.e_machine) +
                                       ", expected 62 (EM_X86_64)");
  }
  if (eh.e_version != EV_CURRENT) {
    return fail(Errc::bad_version,
                "e_version at offset 0x14 is " + std::to_string(eh.e_version) + ", expected 1");
  }
  if (eh.e_ehsize != sizeof(Elf64_Ehdr)) {
    return fail(Errc::bad_header,
                "e_ehsize at offset 0x34 is " + std::to_string(eh.e_ehsize) + ", expected 64");
  }
  if (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return fail(Errc::bad_header, "e_phentsize at offset 0x36 is " +
                                      std::to_string(eh.e_phentsize) + ", expected 56");
  }
  if (eh.e_phnum == PN_XNUM) {
    return fail(Errc::bad_header,
                "e_phnum at offset 0x38 is PN_XNUM (extended numbering is not "
                "supported for vDSO images)");
  }
  image_.identity_ = ElfIdentity{
      .elf_class = eh.e_ident[EI_CLASS],
      .data = eh.e_ident[EI_DATA],
      .ident_version = eh.e_ident[EI_VERSION],
      .osabi = eh.e_ident[EI_OSABI],
      .abi_version = eh.e_ident[EI_ABIVERSION],
      .type = eh.e_type,
      .machine = eh.e_machine,
      .version = eh.e_version,
      .entry = eh.e_entry,
      .phnum = eh.e_phnum,
      .shnum = eh.e_shnum,
  };
  phoff_ = eh.e_phoff;
  shoff_ = eh.e_shoff;
  shentsize_ = eh.e_shentsize;
  shstrndx_ = eh.e_shstrndx;
  regions_.push_back(Region{"ELF header", Errc::bad_header, 0, sizeof(Elf64_Ehdr)});
  return true;
}

bool ElfParser::parse_program_headers() {
  const uint16_t phnum = image_.identity_.phnum;
  if (phnum == 0) {
    return fail(Errc::no_loadable_segment,
                "e_phnum at offset 0x38 is 0: the image has no program headers, hence no PT_LOAD");
  }
  const uint64_t table_size = uint64_t{phnum} * sizeof(Elf64_Phdr);
  if (!in_.contains(phoff_, table_size)) {
    return fail(Errc::truncated, "program header table at offset " + hex(phoff_) + " (e_phoff, " +
                                     std::to_string(phnum) + " entries, " + byte_count(table_size) +
                                     ") runs past the end of the " + hex(in_.size()) +
                                     "-byte image");
  }
  if (phoff_ < sizeof(Elf64_Ehdr)) {
    return fail(Errc::bad_program_headers, "program header table at offset " + hex(phoff_) +
                                               " (e_phoff) overlaps the ELF header");
  }
  regions_.push_back(Region{"program header table", Errc::bad_program_headers, phoff_, table_size});

  size_t loads = 0;
  for (uint16_t i = 0; i < phnum; ++i) {
    const auto ph = in_.read<Elf64_Phdr>(phoff_ + uint64_t{i} * sizeof(Elf64_Phdr));
    image_.segments_.push_back(Segment{ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr, ph.p_filesz,
                                       ph.p_memsz, ph.p_align});
    if (ph.p_type == PT_LOAD) {
      if (loads == 0) image_.load_index_ = i;
      // Everything after this translates addresses through the PT_LOADs, so
      // their geometry must be sane before anything else is looked at.
      const uint64_t at = phoff_ + uint64_t{i} * sizeof(Elf64_Phdr);
      if (!in_.contains(ph.p_offset, ph.p_filesz)) {
        return fail(Errc::truncated, "PT_LOAD (program header " + std::to_string(i) +
                                         " at offset " + hex(at) + ") file image at offset " +
                                         hex(ph.p_offset) + " (" + byte_count(ph.p_filesz) +
                                         ") runs past the end of the " + hex(in_.size()) +
                                         "-byte image");
      }
      if (!range_fits(ph.p_vaddr, ph.p_memsz, UINT64_MAX) ||
          !range_fits(ph.p_vaddr, ph.p_filesz, UINT64_MAX)) {
        return fail(Errc::bad_segment, "PT_LOAD (program header " + std::to_string(i) +
                                           " at offset " + hex(at) + "): p_vaddr " +
                                           hex(ph.p_vaddr) + " + p_memsz " + hex(ph.p_memsz) +
                                           " overflows the address space");
      }
      ++loads;
    } else if (ph.p_type == PT_DYNAMIC) {
      if (dynamic_segment_) {
        if (!rule(Errc::bad_dynamic,
                  "second PT_DYNAMIC (program header " + std::to_string(i) + ")")) {
          return false;
        }
      } else {
        dynamic_segment_ = image_.segments_.back();
      }
    }
  }
  if (loads == 0) {
    return fail(Errc::no_loadable_segment, "none of the " + std::to_string(phnum) +
                                               " program headers at offset " + hex(phoff_) +
                                               " is a PT_LOAD");
  }
  size_t seen = 0;
  for (size_t i = 0; i < image_.segments_.size(); ++i) {
    if (image_.segments_[i].type != PT_LOAD) continue;
    if (seen++ == 1 &&
        !rule(Errc::multiple_loadable_segments,
              "second PT_LOAD (program header " + std::to_string(i) + ") at offset " +
                  hex(image_.segments_[i].offset) + ": a vDSO has exactly one loadable segment")) {
      return false;
    }
    if (!check_load_segment(image_.segments_[i], i)) return false;
  }
  if (!dynamic_segment_)
    return fail(Errc::bad_dynamic, "the image has no PT_DYNAMIC program header");
  return true;
}

bool ElfParser::check_load_segment(const Segment& load, size_t index) {
  const std::string name = "PT_LOAD (program header " + std::to_string(index) + ")";
  if ((load.flags & PF_W) != 0) {
    const bool exec = (load.flags & PF_X) != 0;
    if (!rule(Errc::writable_segment, name + " at offset " + hex(load.offset) + " is writable" +
                                          (exec ? " and executable (W+X)" : "") +
                                          ": vDSO images must be read-only")) {
      return false;
    }
  }
  const bool first = index == image_.load_index_;
  if (load.offset != load.vaddr || (first && load.offset != 0)) {
    if (!rule(Errc::bad_segment, name + " maps file offset " + hex(load.offset) + " at address " +
                                     hex(load.vaddr) +
                                     ": a vDSO's PT_LOAD starts at offset 0 == address 0")) {
      return false;
    }
  }
  if (load.filesz > load.memsz) {
    if (!rule(Errc::bad_segment, name + " at offset " + hex(load.offset) + ": p_filesz " +
                                     hex(load.filesz) + " exceeds p_memsz " + hex(load.memsz))) {
      return false;
    }
  }
  // C libraries read the program headers through the mapped image.
  if (first && load.offset == 0 &&
      !range_fits(phoff_, uint64_t{image_.identity_.phnum} * sizeof(Elf64_Phdr), load.filesz)) {
    if (!rule(Errc::bad_segment, name + " (" + byte_count(load.filesz) +
                                     ") does not cover the program header table at offset " +
                                     hex(phoff_))) {
      return false;
    }
  }
  return true;
}

bool ElfParser::check_overlaps() {
  for (size_t i = 0; i < regions_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const Region& a = regions_[j];
      const Region& b = regions_[i];
      if (a.size == 0 || b.size == 0) continue;
      if (b.offset < a.offset + a.size && a.offset < b.offset + b.size) {
        return fail(b.code, b.name + " at offset " + hex(b.offset) + " (" + byte_count(b.size) +
                                ") overlaps the " + a.name + " at offset " + hex(a.offset) + " (" +
                                byte_count(a.size) + ")");
      }
    }
  }
  return true;
}

}  // namespace vdsoforge
