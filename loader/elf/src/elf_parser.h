// The ELF parser behind ElfImage::parse (private to the loader).
//
// One pass, in dependency order: ELF header, program headers, section
// headers, dynamic section, the tables the dynamic section names, notes.
// Each stage bounds-checks what it reads before reading it.  A failed bounds
// check is always an error; a broken vDSO rule is an error in strict mode and
// a Violation in inspect mode (see rule()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf_bytes.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge {

class ElfParser {
 public:
  ElfParser(std::span<const uint8_t> bytes, ParseMode mode, ElfError& err);
  std::optional<ElfImage> run();

 private:
  // A table the image names, kept to find tables that overlap each other.
  struct Region {
    std::string name;
    Errc code;
    uint64_t offset, size;
  };

  bool parse_header();
  bool parse_program_headers();
  bool check_load_segment(const Segment& load, size_t index);
  bool parse_sections();
  bool parse_dynamic();
  bool check_dynamic_rules();
  bool locate_string_table();
  bool parse_sysv_hash();
  bool parse_gnu_hash();
  bool walk_gnu_hash_chains(uint64_t chain_offset, uint64_t count, uint32_t nbuckets,
                            uint32_t symoffset, uint64_t buckets_offset);
  bool settle_symbol_count();
  bool parse_symbols();
  bool check_local_symbols_first();
  bool parse_version_definitions();
  bool parse_version_symbols();
  bool check_hash_tables_find_exports();
  bool parse_notes();
  bool parse_note_segment(const Segment& segment);
  bool decode_data_layout(const Note& note);
  bool check_overlaps();

  // Records an error; always returns false so callers can `return fail(...)`.
  bool fail(Errc code, std::string message);
  // A vDSO rule was broken: an error in strict mode, a Violation (and
  // parsing goes on) in inspect mode.  Returns whether parsing may go on.
  bool rule(Errc code, std::string message);

  // Translates the virtual range [vaddr + delta, ... + size) to a file offset
  // through the PT_LOAD that holds it; the range must lie in that segment's
  // file image.  `what` names the table in the error message.
  bool locate(std::string_view what, Errc code, uint64_t vaddr, uint64_t delta, uint64_t size,
              uint64_t& offset);
  // A NUL-terminated string at `offset` inside the dynamic string table.
  bool dynamic_string(std::string_view what, Errc code, uint64_t offset, std::string& out);

  ElfImage image_;
  elf_detail::InputBytes in_;
  ParseMode mode_;
  ElfError& err_;

  std::vector<Region> regions_;
  uint64_t phoff_ = 0, shoff_ = 0;
  uint16_t shentsize_ = 0, shstrndx_ = 0;
  std::optional<Segment> dynamic_segment_;
  uint64_t strtab_offset_ = 0, strtab_size_ = 0;
  uint64_t symtab_vaddr_ = 0, symbol_entry_size_ = 0;
  std::optional<uint64_t> sysv_symbol_count_, gnu_symbol_count_;
  uint64_t symbol_count_ = 0;
  std::optional<uint64_t> versym_offset_;
};

}  // namespace vdsoforge
