// Deliberately broken images for the abi tests: each function takes the
// bytes of a good image and breaks exactly one ABI property the way a bad
// build would, keeping the file parseable so the break reaches the report
// (exit 1) rather than the parser's error path (exit 2).
//
// They rely on the section headers a stripped vDSO keeps (.dynsym, .dynstr,
// .gnu.hash ...), and throw std::runtime_error when the image lacks what a
// mutation needs, so a changed image layout fails the test loudly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace abi_test {

using Bytes = std::vector<uint8_t>;

// The symbol's binding becomes STB_GLOBAL (the kernel has getrandom WEAK).
void make_symbol_global(Bytes& image, std::string_view symbol);

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

}  // namespace abi_test
