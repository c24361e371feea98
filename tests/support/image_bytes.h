// The tests' ELF byte editors: the built image and the kernel vDSO as byte
// vectors, and small editors that find a field by meaning (a dynamic tag, a
// program header type, a symbol) so mutations stay correct when the image's
// layout changes.  Fields are read raw, not through the parser, so they work
// on images earlier edits have already made invalid; a look-up that finds
// nothing fails the running test.  image_mutations.h builds on these.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "files.h"
#include "vdsoforge/elf_image.h"

namespace test_support {

Bytes built_image();        // VDSOFORGE_TEST_IMAGE
Bytes built_debug_image();  // VDSOFORGE_TEST_DEBUG_IMAGE
// The image built for a kernel profile ("linux-6.11"): its path and bytes.
std::string profile_image_path(std::string_view profile);
Bytes built_profile_image(std::string_view profile);
Bytes kernel_vdso();  // a copy; skips the test if the kernel maps no vDSO
// Real kernels' vDSOs kept in tests/kernel/fixtures, as [vdso] maps them
// (docs/abi.md, "Detecting a layout from code", says how each was made):
// Debian 12's GCC-built 6.12.118 as its kernel served it under QEMU, and a
// Clang 14 build of the same source (tinyconfig + TIME_NS), page-padded.
inline constexpr std::string_view kDebian612Vdso = "linux-6.12.118+deb12-amd64.vdso";
inline constexpr std::string_view kClang612Vdso = "linux-6.12.118-tinyconfig-clang14.vdso";
std::string kernel_fixture_path(std::string_view name);
Bytes kernel_fixture(std::string_view name);

// Reads or writes a T at `offset`; throws std::out_of_range past the end.
void require_inside(const Bytes& bytes, uint64_t offset, size_t size);

template <typename T>
T get(const Bytes& bytes, uint64_t offset) {
  require_inside(bytes, offset, sizeof(T));
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

template <typename T>
void put(Bytes& bytes, uint64_t offset, T value) {
  require_inside(bytes, offset, sizeof(T));
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// Parses `bytes` strictly; fails the test (with the parser's message) if it
// cannot, since every editor below starts from a valid image.
vdsoforge::ElfImage parse_valid(const Bytes& bytes);

// File offset of the first dynamic entry with `tag`; fails the test if none.
uint64_t dynamic_entry_offset(const Bytes& bytes, int64_t tag);
// Value of dynamic tag `tag` (the image maps offset == address).
uint64_t dynamic_value(const Bytes& bytes, int64_t tag);
// Replaces the first dynamic entry with tag `from` by (to, value).
void retag_dynamic(Bytes& bytes, int64_t from, int64_t to, uint64_t value);
// File offset of the first program header of type `type`.
uint64_t program_header_offset(const Bytes& bytes, uint32_t type);
// Index and file offset of the .dynsym entry of `name`.
uint64_t dynsym_index(const Bytes& bytes, std::string_view name);
uint64_t dynsym_offset(const Bytes& bytes, std::string_view name);
// Sets sh_info of the .dynsym section header: the index of the first non-LOCAL symbol.
void set_dynsym_first_global(Bytes& bytes, uint32_t index);
// File offset of the DT_VERSYM entry of `name`.
uint64_t versym_offset(const Bytes& bytes, std::string_view name);
// File offset of the i-th DT_VERDEF entry, and of the one named `name`.
uint64_t verdef_offset(const Bytes& bytes, unsigned index);
uint64_t verdef_offset(const Bytes& bytes, std::string_view name);
// File offset of the descriptor of the vdsoforge data-layout note.
uint64_t data_layout_desc_offset(const Bytes& bytes);
// File offset of the string `text` (with its NUL) inside DT_STRTAB.
uint64_t dynstr_offset(const Bytes& bytes, std::string_view text);

// A function's code in an image that maps offset == address, base at 0:
// where its dynamic symbol says it is.
struct FunctionBytes {
  uint64_t offset, size;
};
FunctionBytes function_bytes(const Bytes& bytes, std::string_view name);
// Moves every RIP-relative operand in `fn` that reaches base - `from` (with
// its displacement ending the instruction) to base - `to`; returns how many.
int move_rip_operands(Bytes& bytes, FunctionBytes fn, uint64_t from, uint64_t to);
// Replaces each 32-bit `from` in `fn`'s bytes by `to`; returns how many.
int replace_int32(Bytes& bytes, FunctionBytes fn, int32_t from, int32_t to);
// Moves the built image's time() one page up: both its clock-mode compare
// and its basetime read (time data at base - `record0` before).
void move_time_reads_one_page_up(Bytes& bytes, uint64_t record0);
// Moves the built image's clock_getres() reads of the 6.17+ tail 16 bytes
// up (record 0 at base - `record0`): its hrtimer_res probe at record 0 +
// 2328 and the offset 2320 it then reads the tail at.
void move_getres_tail_up(Bytes& bytes, uint64_t record0);

}  // namespace test_support
