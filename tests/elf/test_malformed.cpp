// Bad input: a table of malformed images, each made from the built image by
// one precise edit, each refused with its expected error code and a message
// naming the field; truncation at every structural boundary; rule violations
// collected (not fatal) in inspect mode; bad data-layout notes refused by the
// loader.
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "image_bytes.h"
#include "image_mutations.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/image_defaults.h"
#include "vdsoforge/loader.h"

using namespace vdsoforge;
using test_support::Bytes;
using test_support::get;
using test_support::put;

namespace {

struct Malformed {
  const char* what;
  std::function<void(Bytes&)> edit;
  Errc expected;
  const char* message_contains;  // the field the message must name
};

// Program header field offsets (Elf64_Phdr).
constexpr uint64_t kPhFlags = 4, kPhOffset = 8, kPhVaddr = 16, kPhFilesz = 32, kPhMemsz = 40;
// Elf64_Verdef field offsets.
constexpr uint64_t kVdVersion = 0, kVdNdx = 4, kVdHash = 8, kVdAux = 12, kVdNext = 16;
// The built image's data area (its data-layout note), which the note edits
// below overstep.
constexpr uint32_t kArea = vdsoforge::default_image::kDataAreaSize;

uint64_t load_ph(const Bytes& b) { return test_support::program_header_offset(b, PT_LOAD); }
uint64_t dynamic_ph(const Bytes& b) { return test_support::program_header_offset(b, PT_DYNAMIC); }
uint64_t note_ph(const Bytes& b) { return test_support::program_header_offset(b, PT_NOTE); }
uint64_t dyn(const Bytes& b, int64_t tag) { return test_support::dynamic_value(b, tag); }
void set_dyn(Bytes& b, int64_t tag, uint64_t value) {
  put<uint64_t>(b, test_support::dynamic_entry_offset(b, tag) + 8, value);
}
void make_local(Bytes& b, std::string_view name) {
  test_support::set_symbol_binding(b, name, STB_LOCAL);
}
uint64_t gnu_chain(const Bytes& b) {
  const uint64_t t = dyn(b, DT_GNU_HASH);
  return t + 16 + 8 * uint64_t{get<uint32_t>(b, t + 8)} + 4 * uint64_t{get<uint32_t>(b, t)};
}

std::vector<Malformed> malformed_images() {
  return {
      // ELF header
      {"wrong magic", [](Bytes& b) { b[1] = 'X'; }, Errc::bad_magic, "magic"},
      {"32-bit class", [](Bytes& b) { b[EI_CLASS] = ELFCLASS32; }, Errc::bad_class, "EI_CLASS"},
      {"big endian", [](Bytes& b) { b[EI_DATA] = ELFDATA2MSB; }, Errc::bad_endianness, "EI_DATA"},
      {"EI_VERSION 0", [](Bytes& b) { b[EI_VERSION] = 0; }, Errc::bad_version, "EI_VERSION"},
      {"e_version 2", [](Bytes& b) { put<uint32_t>(b, 0x14, 2); }, Errc::bad_version, "e_version"},
      {"machine i386", [](Bytes& b) { put<uint16_t>(b, 0x12, EM_386); }, Errc::bad_machine,
       "e_machine"},
      {"machine aarch64", [](Bytes& b) { put<uint16_t>(b, 0x12, EM_AARCH64); }, Errc::bad_machine,
       "e_machine"},
      {"type ET_EXEC", [](Bytes& b) { put<uint16_t>(b, 0x10, ET_EXEC); }, Errc::bad_type, "e_type"},
      {"type ET_REL", [](Bytes& b) { put<uint16_t>(b, 0x10, ET_REL); }, Errc::bad_type, "e_type"},
      {"e_ehsize 52", [](Bytes& b) { put<uint16_t>(b, 0x34, 52); }, Errc::bad_header, "e_ehsize"},
      {"e_phentsize 32", [](Bytes& b) { put<uint16_t>(b, 0x36, 32); }, Errc::bad_header,
       "e_phentsize"},
      {"e_phnum PN_XNUM", [](Bytes& b) { put<uint16_t>(b, 0x38, PN_XNUM); }, Errc::bad_header,
       "e_phnum"},
      // Program header table
      {"phdr table at a huge offset", [](Bytes& b) { put<uint64_t>(b, 0x20, ~uint64_t{0} - 8); },
       Errc::truncated, "program header table"},
      {"phdr table past the end", [](Bytes& b) { put<uint64_t>(b, 0x20, b.size() - 100); },
       Errc::truncated, "program header table"},
      {"phdr table over the ELF header", [](Bytes& b) { put<uint64_t>(b, 0x20, 8); },
       Errc::bad_program_headers, "overlaps the ELF header"},
      {"no program headers", [](Bytes& b) { put<uint16_t>(b, 0x38, 0); }, Errc::no_loadable_segment,
       "e_phnum"},
      // The loadable segment
      {"no PT_LOAD", [](Bytes& b) { put<uint32_t>(b, load_ph(b), PT_NULL); },
       Errc::no_loadable_segment, "PT_LOAD"},
      {"writable PT_LOAD", [](Bytes& b) { put<uint32_t>(b, load_ph(b) + kPhFlags, PF_R | PF_W); },
       Errc::writable_segment, "writable"},
      {"W+X PT_LOAD", [](Bytes& b) { put<uint32_t>(b, load_ph(b) + kPhFlags, PF_R | PF_W | PF_X); },
       Errc::writable_segment, "W+X"},
      {"two PT_LOADs", [](Bytes& b) { put<uint32_t>(b, note_ph(b), PT_LOAD); },
       Errc::multiple_loadable_segments, "second PT_LOAD"},
      {"PT_LOAD vaddr != offset", [](Bytes& b) { put<uint64_t>(b, load_ph(b) + kPhVaddr, 0x1000); },
       Errc::bad_segment, "PT_LOAD"},
      {"PT_LOAD filesz > memsz",
       [](Bytes& b) {
         put<uint64_t>(b, load_ph(b) + kPhMemsz, get<uint64_t>(b, load_ph(b) + kPhFilesz) - 1);
       },
       Errc::bad_segment, "p_filesz"},
      {"PT_LOAD past the end of the file",
       [](Bytes& b) { put<uint64_t>(b, load_ph(b) + kPhFilesz, b.size() + 1); }, Errc::truncated,
       "PT_LOAD"},
      {"PT_LOAD with a 2^63-byte file image",
       [](Bytes& b) { put<uint64_t>(b, load_ph(b) + kPhFilesz, uint64_t{1} << 63); },
       Errc::truncated, "PT_LOAD"},
      {"PT_LOAD address overflow",
       [](Bytes& b) { put<uint64_t>(b, load_ph(b) + kPhVaddr, ~uint64_t{0} - 0x100); },
       Errc::bad_segment, "overflows"},
      // The dynamic section
      {"PT_DYNAMIC outside the file",
       [](Bytes& b) { put<uint64_t>(b, dynamic_ph(b) + kPhOffset, 0x7fff0000); }, Errc::bad_dynamic,
       "PT_DYNAMIC"},
      {"PT_DYNAMIC outside the PT_LOAD",
       [](Bytes& b) { put<uint64_t>(b, dynamic_ph(b) + kPhVaddr, 0x100000); }, Errc::bad_dynamic,
       "PT_DYNAMIC"},
      {"no PT_DYNAMIC", [](Bytes& b) { put<uint32_t>(b, dynamic_ph(b), PT_NULL); },
       Errc::bad_dynamic, "PT_DYNAMIC"},
      {"dynamic section without DT_NULL",
       [](Bytes& b) { put<uint64_t>(b, dynamic_ph(b) + kPhFilesz, 32); }, Errc::bad_dynamic,
       "DT_NULL"},
      // String table
      {"DT_STRTAB outside", [](Bytes& b) { set_dyn(b, DT_STRTAB, 0x100000); },
       Errc::bad_string_table, "DT_STRTAB"},
      {"DT_STRSZ past the end", [](Bytes& b) { set_dyn(b, DT_STRSZ, b.size()); },
       Errc::bad_string_table, "DT_STRSZ"},
      {"DT_STRSZ huge", [](Bytes& b) { set_dyn(b, DT_STRSZ, ~uint64_t{0}); },
       Errc::bad_string_table, "DT_STRSZ"},
      {"no DT_STRTAB", [](Bytes& b) { test_support::retag_dynamic(b, DT_STRTAB, DT_DEBUG, 0); },
       Errc::bad_string_table, "DT_STRTAB"},
      {"last string not NUL-terminated",
       [](Bytes& b) { set_dyn(b, DT_STRSZ, dyn(b, DT_STRSZ) - 1); }, Errc::bad_string_table,
       "NUL-terminated"},
      // Symbol table
      {"DT_SYMTAB outside", [](Bytes& b) { set_dyn(b, DT_SYMTAB, 0x100000); },
       Errc::bad_symbol_table, "DT_SYMTAB"},
      {"DT_SYMTAB running off the segment",
       [](Bytes& b) { set_dyn(b, DT_SYMTAB, get<uint64_t>(b, load_ph(b) + kPhFilesz) - 30); },
       Errc::bad_symbol_table, "DT_SYMTAB"},
      {"no DT_SYMTAB", [](Bytes& b) { test_support::retag_dynamic(b, DT_SYMTAB, DT_DEBUG, 0); },
       Errc::bad_symbol_table, "DT_SYMTAB"},
      {"DT_SYMENT 16", [](Bytes& b) { set_dyn(b, DT_SYMENT, 16); }, Errc::bad_symbol_table,
       "DT_SYMENT"},
      {"symbol name past the string table",
       [](Bytes& b) { put<uint32_t>(b, test_support::dynsym_offset(b, "getrandom"), 0x7fff); },
       Errc::bad_symbol_table, "st_name"},
      // DT_HASH
      {"DT_HASH outside", [](Bytes& b) { set_dyn(b, DT_HASH, 0x100000); }, Errc::bad_hash_table,
       "DT_HASH"},
      {"DT_HASH nchain huge", [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_HASH) + 4, 0x10000000); },
       Errc::bad_hash_table, "DT_HASH"},
      {"DT_HASH nbucket 0", [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_HASH), 0); },
       Errc::bad_hash_table, "nbucket"},
      {"DT_HASH bucket past nchain", [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_HASH) + 8, 99); },
       Errc::bad_hash_table, "nchain"},
      {"DT_HASH chain loop",
       [](Bytes& b) {
         const uint64_t chains =
             dyn(b, DT_HASH) + 8 + 4 * uint64_t{get<uint32_t>(b, dyn(b, DT_HASH))};
         put<uint32_t>(b, chains + 4, 1);
         put<uint32_t>(b, chains + 8, 2);
       },
       Errc::bad_hash_table, "loop"},
      // DT_GNU_HASH
      {"DT_GNU_HASH outside", [](Bytes& b) { set_dyn(b, DT_GNU_HASH, 0x100000); },
       Errc::bad_hash_table, "DT_GNU_HASH"},
      {"DT_GNU_HASH 0 buckets", [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_GNU_HASH), 0); },
       Errc::bad_hash_table, "0 buckets"},
      {"DT_GNU_HASH bloom size not a power of two",
       [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_GNU_HASH) + 8, 3); }, Errc::bad_hash_table,
       "power of two"},
      {"DT_GNU_HASH bloom filter past the end",
       [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_GNU_HASH) + 8, 0x40000000); },
       Errc::bad_hash_table, "bloom filter"},
      {"DT_GNU_HASH bloom shift 64",
       [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_GNU_HASH) + 12, 64); }, Errc::bad_hash_table,
       "bloom shift"},
      {"DT_GNU_HASH bucket below symoffset",
       [](Bytes& b) { put<uint32_t>(b, dyn(b, DT_GNU_HASH) + 4, 40); }, Errc::bad_hash_table,
       "symoffset"},
      {"DT_GNU_HASH chain without end marker",
       [](Bytes& b) {
         const uint64_t end = dyn(b, DT_SYMTAB);
         for (uint64_t at = gnu_chain(b); at < end; at += 4)
           put<uint32_t>(b, at, get<uint32_t>(b, at) & ~1u);
       },
       Errc::bad_hash_table, "DT_GNU_HASH"},
      {"DT_GNU_HASH chain hash corrupted",
       [](Bytes& b) { put<uint32_t>(b, gnu_chain(b), get<uint32_t>(b, gnu_chain(b)) ^ 0x100); },
       Errc::bad_hash_table, "does not find exported symbol"},
      {"DT_HASH chain broken",
       [](Bytes& b) {
         const uint64_t t = dyn(b, DT_HASH);
         for (uint32_t i = 0; i < get<uint32_t>(b, t); ++i)
           put<uint32_t>(b, t + 8 + 4 * uint64_t{i}, 0);
       },
       Errc::bad_hash_table, "DT_HASH"},
      // Symbol order: every LOCAL symbol before the first non-LOCAL one
      {"LOCAL symbol after the globals in .dynsym",
       [](Bytes& b) { make_local(b, test_support::parse_valid(b).symbols().back().name); },
       Errc::bad_symbol_table, "follows the non-LOCAL symbol"},
      {"LOCAL symbol at .dynsym index >= sh_info",
       [](Bytes& b) { make_local(b, test_support::parse_valid(b).symbols().at(1).name); },
       Errc::bad_symbol_table, "sh_info"},
      // Versions
      {"DT_VERSYM outside", [](Bytes& b) { set_dyn(b, DT_VERSYM, 0x100000); },
       Errc::bad_version_table, "DT_VERSYM"},
      {"DT_VERSYM names an undefined version",
       [](Bytes& b) { put<uint16_t>(b, test_support::versym_offset(b, "getrandom"), 7); },
       Errc::bad_version_table, "version index 7"},
      {"DT_VERSYM overlapping DT_VERDEF",
       [](Bytes& b) { set_dyn(b, DT_VERSYM, dyn(b, DT_VERDEF)); }, Errc::bad_version_table,
       "overlaps"},
      {"DT_VERSYM overlapping DT_SYMTAB",
       [](Bytes& b) { set_dyn(b, DT_VERSYM, dyn(b, DT_SYMTAB)); }, Errc::bad_version_table,
       "overlaps the DT_SYMTAB"},
      {"DT_VERSYM overlapping the dynamic section",
       [](Bytes& b) { set_dyn(b, DT_VERSYM, get<uint64_t>(b, dynamic_ph(b) + kPhVaddr)); },
       Errc::bad_version_table, "overlaps the dynamic section"},
      {"DT_VERDEF outside", [](Bytes& b) { set_dyn(b, DT_VERDEF, 0x100000); },
       Errc::bad_version_table, "DT_VERDEF"},
      {"no DT_VERDEFNUM",
       [](Bytes& b) { test_support::retag_dynamic(b, DT_VERDEFNUM, DT_DEBUG, 0); },
       Errc::bad_version_table, "DT_VERDEFNUM"},
      {"DT_VERDEFNUM longer than the chain", [](Bytes& b) { set_dyn(b, DT_VERDEFNUM, 5); },
       Errc::bad_version_table, "DT_VERDEFNUM"},
      {"verdef chain going on past DT_VERDEFNUM", [](Bytes& b) { set_dyn(b, DT_VERDEFNUM, 1); },
       Errc::bad_version_table, "DT_VERDEFNUM"},
      {"verdef vd_next out of bounds",
       [](Bytes& b) { put<uint32_t>(b, test_support::verdef_offset(b, 0) + kVdNext, 0x100000); },
       Errc::bad_version_table, "DT_VERDEF entry 1"},
      {"verdef vd_next looping into itself",
       [](Bytes& b) { put<uint32_t>(b, test_support::verdef_offset(b, 0) + kVdNext, 4); },
       Errc::bad_version_table, "overlap"},
      {"verdef vd_aux out of bounds",
       [](Bytes& b) { put<uint32_t>(b, test_support::verdef_offset(b, 1) + kVdAux, 0x100000); },
       Errc::bad_version_table, "auxiliary entry"},
      {"verdef vd_aux inside the entry",
       [](Bytes& b) { put<uint32_t>(b, test_support::verdef_offset(b, 1) + kVdAux, 4); },
       Errc::bad_version_table, "vd_aux"},
      {"verdef vd_version 2",
       [](Bytes& b) { put<uint16_t>(b, test_support::verdef_offset(b, 1) + kVdVersion, 2); },
       Errc::bad_version_table, "vd_version"},
      {"verdef hash mismatch",
       [](Bytes& b) { put<uint32_t>(b, test_support::verdef_offset(b, 1) + kVdHash, 0x1234); },
       Errc::bad_version_table, "vd_hash"},
      {"verdef index repeated",
       [](Bytes& b) { put<uint16_t>(b, test_support::verdef_offset(b, 1) + kVdNdx, 1); },
       Errc::bad_version_table, "repeats"},
      {"verdef name past the string table",
       [](Bytes& b) {
         const uint64_t vd = test_support::verdef_offset(b, 1);
         put<uint32_t>(b, vd + get<uint32_t>(b, vd + kVdAux), 0x7fff);
       },
       Errc::bad_version_table, "vda_name"},
      // Rules on dynamic tags
      {"DT_RELA", [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_RELA, 0x100); },
       Errc::has_relocations, "DT_RELA"},
      {"DT_REL", [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_REL, 0x100); },
       Errc::has_relocations, "DT_REL"},
      {"DT_JMPREL", [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_JMPREL, 0x100); },
       Errc::has_relocations, "DT_JMPREL"},
      {"DT_TEXTREL", [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_TEXTREL, 0); },
       Errc::has_relocations, "DT_TEXTREL"},
      {"DT_RELR", [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_RELR, 0x100); },
       Errc::has_relocations, "DT_RELR"},
      {"DF_TEXTREL", [](Bytes& b) { set_dyn(b, DT_FLAGS, dyn(b, DT_FLAGS) | DF_TEXTREL); },
       Errc::has_relocations, "DF_TEXTREL"},
      {"DT_NEEDED",
       [](Bytes& b) {
         test_support::retag_dynamic(
             b, DT_FLAGS_1, DT_NEEDED,
             test_support::dynstr_offset(b, "LINUX_2.6") - dyn(b, DT_STRTAB));
       },
       Errc::has_needed, "DT_NEEDED LINUX_2.6"},
      {"DT_NEEDED name past the string table",
       [](Bytes& b) { test_support::retag_dynamic(b, DT_FLAGS_1, DT_NEEDED, 0x7fff); },
       Errc::bad_string_table, "DT_NEEDED"},
      // Notes
      {"PT_NOTE outside the file",
       [](Bytes& b) { put<uint64_t>(b, note_ph(b) + kPhOffset, 0x7fff0000); }, Errc::bad_note,
       "PT_NOTE"},
      {"note record longer than PT_NOTE",
       [](Bytes& b) {
         put<uint32_t>(b, test_support::data_layout_desc_offset(b) - 12 - 12 + 4, 0x1000);
       },
       Errc::bad_note, "note record"},
      {"data-layout note format 3",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b), 3); },
       Errc::bad_data_layout_note, "format 3 (expected 1 or 2)"},
      {"data-layout note format 2 with format 1's 16 bytes",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b), 2); },
       Errc::bad_data_layout_note, "n_descsz is 16, expected 36 for format 2"},
      {"data-layout note page size 8192",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 4, 8192); },
       Errc::bad_data_layout_note, "page_size"},
      {"data area of 0 bytes",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 8, 0); },
       Errc::bad_data_layout_note, "data_area_size"},
      {"data area not whole pages",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 8, kArea + 1); },
       Errc::bad_data_layout_note, "data_area_size"},
      {"rng data past the data area",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 12, kArea); },
       Errc::bad_data_layout_note, "rng_data_offset"},
      {"rng data straddling the data area's end",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 12, kArea - 8); },
       Errc::bad_data_layout_note, "rng_data_offset"},
      {"rng data misaligned",
       [](Bytes& b) { put<uint32_t>(b, test_support::data_layout_desc_offset(b) + 12, 0x2004); },
       Errc::bad_data_layout_note, "rng_data_offset"},
      // Section headers
      {"section headers past the end", [](Bytes& b) { put<uint64_t>(b, 0x28, b.size() - 64); },
       Errc::truncated, "section header table"},
      {"e_shentsize 40", [](Bytes& b) { put<uint16_t>(b, 0x3a, 40); }, Errc::bad_header,
       "e_shentsize"},
      {"e_shstrndx out of range", [](Bytes& b) { put<uint16_t>(b, 0x3e, 200); }, Errc::bad_header,
       "e_shstrndx"},
      {"section contents past the end",
       [](Bytes& b) {
         put<uint64_t>(b, get<uint64_t>(b, 0x28) + (uint64_t{get<uint16_t>(b, 0x3c)} - 1) * 64 + 32,
                       b.size());
       },
       Errc::truncated, "section"},
      {"section name past the name table",
       [](Bytes& b) { put<uint32_t>(b, get<uint64_t>(b, 0x28) + 64, 0x7fff); }, Errc::bad_header,
       "sh_name"},
  };
}

}  // namespace

TEST_CASE("malformed images are refused with their error code and a message naming the field") {
  const Bytes original = test_support::built_image();
  test_support::parse_valid(original);
  std::set<std::string> names;
  for (const Malformed& m : malformed_images()) {
    REQUIRE(names.insert(m.what).second);  // each row is distinct
    DYNAMIC_SECTION(m.what) {
      Bytes bytes = original;
      m.edit(bytes);
      REQUIRE(bytes != original);
      ElfError err;
      const auto image = ElfImage::parse(bytes, ParseMode::strict, err);
      INFO("message: " << err.message);
      CHECK_FALSE(image.has_value());
      CHECK(errc_name(err.code) == errc_name(m.expected));
      CHECK_THAT(err.message, Catch::Contains(m.message_contains));
    }
  }
}

TEST_CASE("a format-2 data-layout note that contradicts itself or its profile is refused") {
  // The linux-6.11 image's note: format 2 with the time-namespace fields.
  const Bytes original = test_support::built_profile_image("linux-6.11");
  test_support::parse_valid(original);
  const uint64_t desc = test_support::data_layout_desc_offset(original);
  REQUIRE(get<uint32_t>(original, desc) == 2);
  struct Edit {
    const char* what;
    uint64_t field;  // byte offset in the descriptor
    uint32_t value;
    const char* message_contains;
  };
  const Edit edits[] = {
      {"an unknown profile", 16, 9, "profile 9 is no known kernel profile"},
      {"another profile's number", 16, 2, "differ from those of the profile it names, linux-6.13"},
      {"an unknown flag", 20, 0x3, "has bits this reader does not know"},
      {"offsets without the flag", 20, 0, "time-namespace offsets without the indirection flag"},
      {"a timens page below the vvar page", 28, 0, "are not two whole pages"},
      {"a timens page past the area", 28, 0x4000, "are not two whole pages"},
      {"a timens page not on a page boundary", 28, 0x3008, "are not two whole pages"},
      {"rng data outside the vvar page", 12, 0x1280, "is not in the vvar page"},
      {"a misaligned clock mode", 32, 0x86, "is not an aligned s32 in the vvar page"},
      {"a clock mode outside the vvar page", 32, 0x1084, "is not an aligned s32"},
      {"a clock mode the profile does not have", 32, 0x4, "differ from those of the profile"},
  };
  for (const Edit& e : edits) {
    DYNAMIC_SECTION(e.what) {
      Bytes bytes = original;
      put<uint32_t>(bytes, desc + e.field, e.value);
      REQUIRE(bytes != original);
      ElfError err;
      CHECK_FALSE(ElfImage::parse(bytes, ParseMode::strict, err).has_value());
      INFO("message: " << err.message);
      CHECK(err.code == Errc::bad_data_layout_note);
      CHECK_THAT(err.message, Catch::Contains(e.message_contains));
    }
  }
  SECTION("a format-2 note without a profile (0) stands on its own fields") {
    Bytes bytes = original;
    put<uint32_t>(bytes, desc + 16, 0);
    const ElfImage image = test_support::parse_valid(bytes);
    REQUIRE(image.data_layout());
    CHECK(image.data_layout()->profile == nullptr);
    REQUIRE(image.data_layout()->timens);
    CHECK(image.data_layout()->timens->timens_page_offset == 0x3000);
  }
}

// Tables that break a rule but read within bounds: strict mode refuses them,
// inspect mode lists the same message as a violation and reads on, so the
// tools can judge images consumers use (docs/image-check.md).
TEST_CASE("a readable table that breaks a rule is refused in strict mode, listed in inspect") {
  struct Readable {
    const char* what;
    std::function<void(Bytes&)> edit;
    Errc expected;
    const char* message_contains;
  };
  const Readable cases[] = {
      {"a LOCAL symbol after the globals",
       [](Bytes& b) { make_local(b, test_support::parse_valid(b).symbols().back().name); },
       Errc::bad_symbol_table, "LOCAL symbols must come first"},
      {"the getrandom alias LOCAL after __vdso_getrandom, sh_info kept",
       [](Bytes& b) { make_local(b, "getrandom"); }, Errc::bad_symbol_table,
       "LOCAL symbol getrandom"},
      {"DT_GNU_HASH with 0 buckets", test_support::empty_gnu_hash_buckets, Errc::bad_hash_table,
       "has 0 buckets"},
      {"DT_VERSYM kept without DT_VERDEF",
       [](Bytes& b) { test_support::hide_dynamic_tag(b, DT_VERDEF); }, Errc::bad_version_table,
       "which no DT_VERDEF entry defines"},
  };
  const Bytes original = test_support::built_image();
  for (const Readable& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Bytes bytes = original;
      c.edit(bytes);
      ElfError err;
      CHECK_FALSE(ElfImage::parse(bytes, ParseMode::strict, err).has_value());
      CHECK(errc_name(err.code) == errc_name(c.expected));
      CHECK_THAT(err.message, Catch::Contains(c.message_contains));
      const std::string strict_message = err.message;

      const auto image = ElfImage::parse(bytes, ParseMode::inspect, err);
      INFO("inspect: " << err.message);
      REQUIRE(image.has_value());
      REQUIRE_FALSE(image->violations().empty());
      // The first violation is the one strict mode stopped at.
      CHECK(errc_name(image->violations().front().code) == errc_name(c.expected));
      CHECK(image->violations().front().message == strict_message);
    }
  }
}

TEST_CASE("truncation at every header and table boundary, and every 29 bytes, is refused") {
  for (const bool kernel : {false, true}) {
    const Bytes original = kernel ? test_support::kernel_vdso() : test_support::built_image();
    const ElfImage valid = test_support::parse_valid(original);
    // Where the file's last structure ends; the kernel's mapping has padding after it.
    const auto eh = get<Elf64_Ehdr>(original, 0);
    uint64_t extent = eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr);
    for (const Section& s : valid.sections()) {
      if (s.type != SHT_NOBITS) extent = std::max(extent, s.offset + s.size);
    }
    std::set<uint64_t> cuts = {0, 1, 4, 16, 63, 64, 65, extent - 1};
    for (uint64_t i = 0; i <= eh.e_phnum; ++i) cuts.insert(eh.e_phoff + i * sizeof(Elf64_Phdr));
    for (uint64_t i = 0; i <= eh.e_shnum; ++i) cuts.insert(eh.e_shoff + i * sizeof(Elf64_Shdr));
    for (const Section& s : valid.sections()) {
      cuts.insert(s.offset);
      cuts.insert(s.offset + s.size);
      cuts.insert(s.offset + s.size / 2);
    }
    for (const Segment& s : valid.segments()) {
      cuts.insert(s.offset);
      cuts.insert(s.offset + s.filesz);
    }
    for (uint64_t at = 0; at < extent; at += 29) cuts.insert(at);
    size_t tried = 0;
    for (const uint64_t cut : cuts) {
      if (cut >= extent) continue;
      const Bytes bytes(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut));
      for (const ParseMode mode : {ParseMode::strict, ParseMode::inspect}) {
        ElfError err;
        INFO((kernel ? "kernel vDSO" : "built image") << " cut at " << cut);
        CHECK_FALSE(ElfImage::parse(bytes, mode, err).has_value());
        CHECK(errc_name(err.code) == errc_name(Errc::truncated));
        CHECK_THAT(err.message, Catch::Contains("runs past the end"));
      }
      ++tried;
    }
    CHECK(tried > 40);
  }
}

TEST_CASE("inspect mode lists every rule violation but still refuses out-of-bounds tables") {
  Bytes bytes = test_support::built_image();
  put<uint32_t>(bytes, load_ph(bytes) + kPhFlags, PF_R | PF_W | PF_X);
  test_support::retag_dynamic(bytes, DT_FLAGS_1, DT_RELA, 0x100);
  test_support::retag_dynamic(
      bytes, DT_FLAGS, DT_NEEDED,
      test_support::dynstr_offset(bytes, "LINUX_2.6") - dyn(bytes, DT_STRTAB));
  put<uint32_t>(bytes, test_support::data_layout_desc_offset(bytes), 9);

  ElfError err;
  CHECK_FALSE(ElfImage::parse(bytes, ParseMode::strict, err));
  const auto image = ElfImage::parse(bytes, ParseMode::inspect, err);
  INFO(err.message);
  REQUIRE(image.has_value());
  std::multiset<std::string_view> codes;
  for (const Violation& v : image->violations()) codes.insert(errc_name(v.code));
  CHECK(codes == std::multiset<std::string_view>{
                     errc_name(Errc::writable_segment), errc_name(Errc::has_relocations),
                     errc_name(Errc::has_needed), errc_name(Errc::bad_data_layout_note)});
  CHECK_FALSE(image->data_layout().has_value());
  // Look-ups still work on what could be parsed.
  CHECK(image->lookup("getrandom", "LINUX_2.6") != nullptr);

  set_dyn(bytes, DT_STRTAB, 0x100000);
  CHECK_FALSE(ElfImage::parse(bytes, ParseMode::inspect, err));
  CHECK(err.code == Errc::bad_string_table);
}

TEST_CASE("the loader refuses an image whose data-layout note is missing or inconsistent") {
  const Bytes original = test_support::built_image();
  {
    Bytes bytes = original;
    // Rename the note's owner: the record stays well-formed, the note is gone.
    const uint64_t owner = test_support::data_layout_desc_offset(bytes) - 12;
    bytes[owner + 8] = 'X';
    Error err;
    const auto image = LoadedImage::open_memory(bytes, err);
    INFO(err.message);
    CHECK(image == nullptr);
    CHECK(errc_name(err.code) == errc_name(Errc::missing_data_layout_note));
  }
  {
    Bytes bytes = original;
    put<uint32_t>(bytes, test_support::data_layout_desc_offset(bytes) + 8, 0x6001);
    Error err;
    const auto image = LoadedImage::open_memory(bytes, err);
    INFO(err.message);
    CHECK(image == nullptr);
    CHECK(errc_name(err.code) == errc_name(Errc::bad_data_layout_note));
    CHECK_THAT(err.message, Catch::Contains("data_area_size"));
  }
}
