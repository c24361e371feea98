// The one definition of "what an image exports", shared by the parser's own
// checks and by the abi, check, dump, embed and run commands, so they never
// disagree about a symbol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

// A version definition's own symbol: SHN_ABS, value 0, named after one of the
// image's version definitions (GNU ld emits LINUX_2.6 this way).  It names a
// version, not code or data, and C libraries never look it up.
bool is_version_symbol(const ElfImage& elf, const Symbol& symbol);

// The version symbol named `version`, nullptr if the image has none.
const Symbol* find_version_symbol(const ElfImage& elf, std::string_view version);

// "ABS OBJECT GLOBAL @@LINUX_2.6": what a version symbol's entry says, as
// checks compare it (nullptr: "missing").
std::string version_symbol_text(const Symbol* symbol);

// A dynamic definition others can see: not the null entry, not undefined,
// not LOCAL.  Every such symbol must be reachable through each hash table.
bool is_visible_definition(const Symbol& symbol);

// The symbols a C library could bind to: visible definitions that are not a
// version definition's own symbol.  In .dynsym order.
std::vector<const Symbol*> exported_symbols(const ElfImage& elf);

// Symbol types glibc's check_match binds (its ALLOWED_STT): no-type, object,
// function, common, TLS and IFUNC; sections, files and the like never.
bool is_bindable_type(uint8_t type);

// The two dynamic hash tables, so a check can prove each one on its own.
enum class HashTable { gnu, sysv };
inline constexpr HashTable kHashTables[] = {HashTable::gnu, HashTable::sysv};
std::string_view hash_table_section(HashTable table);  // ".gnu.hash", ".hash"
std::string_view hash_table_tag(HashTable table);      // "DT_GNU_HASH", "DT_HASH"
bool has_hash_table(const ElfImage& elf, HashTable table);

// What `table` finds for `name` at `version`, looked up as glibc does
// (ElfImage::lookup); nullptr when the table is absent or finds nothing.
const Symbol* find_through(const ElfImage& elf, HashTable table, std::string_view name,
                           std::string_view version);

// "Each hash table finds every export": `table` is present and leads from the
// export's name and version to the export itself, not to nothing or to
// another entry.
bool hash_table_finds(const ElfImage& elf, HashTable table, const Symbol& export_symbol);

}  // namespace vdsoforge
