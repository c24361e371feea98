// Deliberately broken images for the abi tests: each function takes the
// bytes of a good image and breaks exactly one ABI property the way a bad
// build would, keeping the file parseable so the break reaches the report
// (exit 1) rather than the parser's error path (exit 2).
//
// They find what they change by meaning, through image_bytes.h (dynamic
// tags, program header types, symbol and version names), and fail the
// running test when the image lacks what a mutation needs, so a changed
// image layout fails loudly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "files.h"

namespace test_support {

// The symbol's binding becomes STB_GLOBAL (the kernel has getrandom WEAK).
void make_symbol_global(Bytes& image, std::string_view symbol);

// The first .dynsym symbol (__vdso_getrandom) becomes STB_LOCAL, with
// .dynsym's sh_info moved past it so the table stays well-formed: the image
// keeps getrandom but no longer exports its alias.
void make_first_symbol_local(Bytes& image);

// Every .dynsym symbol from index 1 through `symbol` becomes STB_LOCAL and
// sh_info moves past `symbol`, so the table stays well-formed (LOCAL symbols
// first) with `symbol` LOCAL; the symbols before it are collateral, which a
// look-up by another name never notices.
void make_symbols_local_through(Bytes& image, std::string_view symbol);

// The symbol starts `distance` bytes later (and is as much shorter), so it
// no longer shares its address with its aliases.
void move_symbol(Bytes& image, std::string_view symbol, uint64_t distance);

// The last version definition (LINUX_2.6) disappears: DT_VERDEFNUM and the
// chain lose it, and the symbols that used it fall back to the base version
// (index 1), as if the version script had named no version.
void drop_last_version_definition(Bytes& image);

// DT_FLAGS and DT_FLAGS_1 become DT_RELA and DT_RELASZ: the image now asks
// for one 24-byte RELA relocation to be applied.
void add_stray_relocation(Bytes& image);

// The PT_GNU_EH_FRAME header becomes a second, writable PT_LOAD placed in
// the page after the image (a .bss-like segment, file padded to reach it).
void add_second_load_segment(Bytes& image);

// The .gnu.hash bloom filter is zeroed: every look-up through it now misses.
void corrupt_gnu_hash(Bytes& image);

// The .hash buckets are zeroed: every chain is empty.
void corrupt_sysv_hash(Bytes& image);

// Every mutation above, by name, for tests that must cover each altered
// image (the report formats, the abidiff cross-check): a mutation added to
// this list is exercised by all of them.
struct NamedMutation {
  std::string name;  // also a file name: "global-getrandom"
  std::function<void(Bytes&)> mutate;
};
const std::vector<NamedMutation>& all_mutations();

// The corruption classes the consumer models are tested on.  Each breaks one
// property a consumer may check when it resolves a vDSO symbol.

// Symbol table entries: binding, type, visibility, section, value.
void set_symbol_binding(Bytes& image, std::string_view symbol, uint8_t binding);
void set_symbol_type(Bytes& image, std::string_view symbol, uint8_t type);
void set_symbol_visibility(Bytes& image, std::string_view symbol, uint8_t visibility);
void make_symbol_undefined(Bytes& image, std::string_view symbol);  // st_shndx = SHN_UNDEF
void zero_symbol_value(Bytes& image, std::string_view symbol);

// Versions: the symbol's versym entry gets the hidden bit; a definition's
// vd_hash no longer is the ELF hash of its name; the version's name (in
// .dynstr) changes its last character, keeping its vd_hash.
void hide_symbol_version(Bytes& image, std::string_view symbol);
void corrupt_version_hash(Bytes& image, std::string_view version);
void rename_version(Bytes& image, std::string_view version);

// Hash tables: the symbol's .gnu.hash chain word loses its hash (the
// end-of-chain bit is kept); DT_GNU_HASH gets 0 buckets.
void corrupt_gnu_hash_chain(Bytes& image, std::string_view symbol);
void empty_gnu_hash_buckets(Bytes& image);

// A dynamic tag becomes DT_CHECKSUM (which nothing reads), so the image no
// longer has what the tag pointed to: DT_GNU_HASH, DT_HASH, DT_VERDEF ...
void hide_dynamic_tag(Bytes& image, int64_t tag);

}  // namespace test_support
