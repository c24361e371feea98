// Errors of the ELF layer: why an image was refused, as a code to branch on
// and a message for people.  The loader adds codes of its own
// (LoaderErrc, vdsoforge/error.h); these are only about reading an image.
#pragma once

#include <string>
#include <string_view>

namespace vdsoforge {

enum class Errc {
  ok = 0,
  io,         // the file could not be read
  truncated,  // a header or table runs past the end of the input
  bad_magic,
  bad_class,            // not ELFCLASS64
  bad_endianness,       // not little endian
  bad_version,          // e_version / EI_VERSION not EV_CURRENT
  bad_machine,          // not EM_X86_64
  bad_type,             // not ET_DYN
  bad_header,           // other ELF header field inconsistencies (sizes, counts)
  bad_program_headers,  // overlapping / misaligned / out-of-file program headers
  no_loadable_segment,
  multiple_loadable_segments,
  writable_segment,  // PT_LOAD with PF_W (includes W+X)
  bad_segment,       // PT_LOAD not at offset 0 == vaddr 0, filesz > memsz, ...
  bad_dynamic,       // PT_DYNAMIC missing, outside the segment, no DT_NULL, ...
  bad_hash_table,    // DT_HASH / DT_GNU_HASH out of bounds or inconsistent
  bad_symbol_table,
  bad_string_table,
  bad_version_table,         // versym / verdef out of bounds or inconsistent
  has_relocations,           // a relocation dynamic tag present (vdso_rules.cpp lists them)
  has_needed,                // DT_NEEDED present
  bad_note,                  // a note record runs past its segment
  missing_data_layout_note,  // image has no vdsoforge data-layout note
  bad_data_layout_note,      // the note is malformed or inconsistent
};

std::string_view errc_name(Errc code);

struct ElfError {
  Errc code = Errc::ok;
  std::string message;  // names the field and file offset where it applies

  explicit operator bool() const { return code != Errc::ok; }
};

}  // namespace vdsoforge
