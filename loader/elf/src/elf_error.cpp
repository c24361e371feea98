#include "vdsoforge/elf_error.h"

namespace vdsoforge {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::ok:
      return "ok";
    case Errc::io:
      return "io";
    case Errc::truncated:
      return "truncated";
    case Errc::bad_magic:
      return "bad_magic";
    case Errc::bad_class:
      return "bad_class";
    case Errc::bad_endianness:
      return "bad_endianness";
    case Errc::bad_version:
      return "bad_version";
    case Errc::bad_machine:
      return "bad_machine";
    case Errc::bad_type:
      return "bad_type";
    case Errc::bad_header:
      return "bad_header";
    case Errc::bad_program_headers:
      return "bad_program_headers";
    case Errc::no_loadable_segment:
      return "no_loadable_segment";
    case Errc::multiple_loadable_segments:
      return "multiple_loadable_segments";
    case Errc::writable_segment:
      return "writable_segment";
    case Errc::bad_segment:
      return "bad_segment";
    case Errc::bad_dynamic:
      return "bad_dynamic";
    case Errc::bad_hash_table:
      return "bad_hash_table";
    case Errc::bad_symbol_table:
      return "bad_symbol_table";
    case Errc::bad_string_table:
      return "bad_string_table";
    case Errc::bad_version_table:
      return "bad_version_table";
    case Errc::has_relocations:
      return "has_relocations";
    case Errc::has_needed:
      return "has_needed";
    case Errc::bad_note:
      return "bad_note";
    case Errc::missing_data_layout_note:
      return "missing_data_layout_note";
    case Errc::bad_data_layout_note:
      return "bad_data_layout_note";
  }
  return "unknown";
}

}  // namespace vdsoforge
