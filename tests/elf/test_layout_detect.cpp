// The data-layout detector: the built image, the live kernel's vDSO, and
// hand-assembled __vdso_getrandom bodies for every answer it can give,
// including each way it must refuse to guess.
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "image_bytes.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

using namespace vdsoforge;
using test_support::Bytes;

namespace {

// Where __vdso_getrandom's code lies in the built image (offset == address).
struct Function {
  uint64_t offset, size;
};

Function getrandom_function(const Bytes& bytes) {
  const uint64_t sym = test_support::dynsym_offset(bytes, "__vdso_getrandom");
  return {test_support::get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_value)),
          test_support::get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_size))};
}

// Assembles into __vdso_getrandom's place in a copy of the built image,
// padding the rest of the function with int3.  RIP-relative operands are
// written as the distance below the image base they must reach.
class CodeWriter {
 public:
  CodeWriter()
      : bytes_(test_support::built_image()), fn_(getrandom_function(bytes_)), at_(fn_.offset) {
    std::fill(bytes_.begin() + fn_.offset, bytes_.begin() + fn_.offset + fn_.size, 0xcc);
  }
  // opcode bytes, then a rel32 to (base - distance), then trailing bytes
  // (immediates), which count in the instruction's length.
  CodeWriter& rip(std::initializer_list<uint8_t> opcode, uint64_t distance,
                  std::initializer_list<uint8_t> trailing = {}) {
    const uint64_t end = at_ + opcode.size() + 4 + trailing.size();
    const int64_t rel = -static_cast<int64_t>(distance) - static_cast<int64_t>(end);
    raw(opcode);
    const int32_t rel32 = static_cast<int32_t>(rel);
    test_support::put(bytes_, at_, rel32);
    at_ += 4;
    return raw(trailing);
  }
  CodeWriter& raw(std::initializer_list<uint8_t> code) {
    REQUIRE(at_ + code.size() <= fn_.offset + fn_.size);
    for (uint8_t b : code) bytes_[at_++] = b;
    return *this;
  }
  DetectedLayout detect() const { return detect_data_layout(test_support::parse_valid(bytes_)); }
  Bytes& bytes() { return bytes_; }

 private:
  Bytes bytes_;
  Function fn_;
  uint64_t at_;
};

// Instruction encodings used below.
constexpr std::initializer_list<uint8_t> kMovRaxRip = {0x48, 0x8b, 0x05};  // mov rax, [rip+x]
constexpr std::initializer_list<uint8_t> kMovzxEcxRip = {0x0f, 0xb6,
                                                         0x0d};  // movzx ecx, byte [rip+x]
constexpr std::initializer_list<uint8_t> kLeaRaxRip = {0x48, 0x8d, 0x05};  // lea rax, [rip+x]
constexpr std::initializer_list<uint8_t> kLeaRdxRip = {0x48, 0x8d, 0x15};  // lea rdx, [rip+x]
constexpr std::initializer_list<uint8_t> kCmpDwordRip = {0x81, 0x3d};  // cmp dword [rip+x], imm32
constexpr std::initializer_list<uint8_t> kImmTimens = {0xff, 0xff, 0xff, 0x7f};
constexpr std::initializer_list<uint8_t> kCmoveRaxRdx = {0x48, 0x0f, 0x44, 0xc2};
constexpr std::initializer_list<uint8_t> kMovRcxAtRax = {0x48, 0x8b, 0x08};  // mov rcx, [rax]
constexpr std::initializer_list<uint8_t> kMovzxEcxAtRax8 = {0x0f, 0xb6, 0x48, 0x08};
constexpr std::initializer_list<uint8_t> kRet = {0xc3};

// The pre-6.15 shape: both rng addresses taken, the clock mode compared,
// the namespace copy chosen by a conditional move, then both fields read.
DetectedLayout pre_615_code(uint64_t rng, uint64_t timens_delta, uint64_t clock_mode) {
  CodeWriter code;
  code.rip(kLeaRaxRip, rng)
      .rip(kLeaRdxRip, rng - timens_delta)
      .rip(kCmpDwordRip, clock_mode, kImmTimens)
      .raw(kCmoveRaxRdx)
      .raw(kMovRcxAtRax)
      .raw(kMovzxEcxAtRax8)
      .raw(kRet);
  return code.detect();
}

// GCC 12's shape of the pre-6.15 code (Debian's 6.12 kernel): the rng
// address in r10; on the time-namespace branch, placed after the main path,
// the difference of two leas (&timens data - &vvar data) is added to r10 and
// the code jumps back to where both fields are read.
DetectedLayout gcc_pre_615_code(const layout::Profile& p) {
  const uint64_t vvar_data = layout::clock_mode_distance(p) + 4;  // clock_mode is its second u32
  const uint64_t timens_data = vvar_data - layout::timens_delta(p);
  CodeWriter code;
  code.rip({0x4c, 0x8d, 0x15}, layout::rng_distance(p))               // 0: lea r10, [rng data]
      .rip(kCmpDwordRip, layout::clock_mode_distance(p), kImmTimens)  // 7: cmp clock mode
      .raw({0x74, 0x09})                                              // 17: je 28
      .raw({0x41, 0x0f, 0xb6, 0x42, 0x08})                            // 19: movzx eax, byte [r10+8]
      .raw({0x49, 0x8b, 0x02})                                        // 24: mov rax, [r10]
      .raw(kRet)                                                      // 27
      .rip({0x48, 0x8d, 0x0d}, vvar_data)                             // 28: lea rcx, [vvar data]
      .rip(kLeaRaxRip, timens_data)                                   // 35: lea rax, [timens data]
      .raw({0x48, 0x29, 0xc8})                                        // 42: sub rax, rcx
      .raw({0x49, 0x01, 0xc2})                                        // 45: add r10, rax
      .raw({0xeb, 0xe1});                                             // 48: jmp 19
  return code.detect();
}

// The detector's answer must be the profile's, every distance included.
void require_profile(const DetectedLayout& layout, const layout::Profile& p) {
  INFO(describe(layout));
  REQUIRE(layout.confidence == LayoutConfidence::certain);
  CHECK(layout.profile == &p);
  CHECK(layout.rng_distance == layout::rng_distance(p));
  CHECK(layout.timens_delta == std::optional<uint64_t>(layout::timens_delta(p)));
  CHECK(layout.clock_mode_distance == std::optional<uint64_t>(layout::clock_mode_distance(p)));
  CHECK(layout.data_area_size() == p.data_area_size);
}

}  // namespace

TEST_CASE("real 6.12 kernels' vDSOs, GCC- and Clang-built, are linux-6.11 with certainty") {
  for (const std::string_view fixture :
       {test_support::kDebian612Vdso, test_support::kClang612Vdso}) {
    INFO(fixture);
    ElfError err;
    const Bytes bytes = test_support::kernel_fixture(fixture);
    const auto elf = ElfImage::parse(bytes, ParseMode::inspect, err);
    INFO(err.message);
    REQUIRE(elf);
    const DetectedLayout layout = detect_data_layout(*elf);
    require_profile(layout, layout::kLinux611);
    // The namespace copy was followed into a read of the generation, not
    // inferred from the clock mode alone.
    const uint64_t namespace_copy = layout.rng_distance - *layout.timens_delta;
    CHECK(std::any_of(
        layout.references.begin(), layout.references.end(),
        [&](const DataReference& r) { return r.distance == namespace_copy && r.width == 8; }));
    CHECK(layout.reason.find("not followed") == std::string::npos);
  }
}

TEST_CASE("GCC's indirect time-namespace address is followed for 6.11 and 6.13") {
  for (const layout::Profile* p : {&layout::kLinux611, &layout::kLinux613}) {
    INFO(p->name);
    require_profile(gcc_pre_615_code(*p), *p);
  }
}

TEST_CASE("a clock-mode check alone tells the pre-6.15 profiles apart") {
  // The rng data read directly, the clock mode compared, and no second rng
  // address the detector can follow.
  const auto code_with_clock_mode = [](uint64_t clock_mode) {
    CodeWriter code;
    code.rip(kCmpDwordRip, clock_mode, kImmTimens)
        .rip(kMovzxEcxRip, 0x3d78)
        .rip(kMovRaxRip, 0x3d80)
        .raw(kRet);
    return code.detect();
  };
  for (const layout::Profile* p : {&layout::kLinux611, &layout::kLinux613}) {
    INFO(p->name);
    const DetectedLayout layout = code_with_clock_mode(layout::clock_mode_distance(*p));
    INFO(describe(layout));
    CHECK(layout.confidence == LayoutConfidence::certain);
    CHECK(layout.profile == p);
    CHECK_FALSE(layout.timens_delta);
    CHECK(layout.reason.find("not followed") != std::string::npos);
  }
  const DetectedLayout odd = code_with_clock_mode(0x3f00);
  INFO(describe(odd));
  CHECK(odd.confidence == LayoutConfidence::partial);
  CHECK(odd.profile == nullptr);
  CHECK(odd.reason.find("base - 0x3f00") != std::string::npos);
}

TEST_CASE("a loop that keeps moving an address settles") {
  CodeWriter code;
  code.rip(kLeaRaxRip, 0x4000)        // 0
      .raw({0x48, 0x8b, 0x10})        // 7: mov rdx, [rax]
      .raw({0x48, 0x83, 0xc0, 0x08})  // 10: add rax, 8
      .raw({0x85, 0xc9})              // 14: test ecx, ecx
      .raw({0x75, 0xf5})              // 16: jne 7
      .rip(kMovzxEcxRip, 0x3ff8)      // 18
      .rip(kMovRaxRip, 0x4000)        // 25
      .raw(kRet);
  const DetectedLayout layout = code.detect();
  INFO(describe(layout));
  CHECK(layout.confidence == LayoutConfidence::certain);
  CHECK(layout.profile == &layout::kLinux615);
}

TEST_CASE("the built image's code reads its rng data where its note says (linux-6.15)") {
  const ElfImage elf = test_support::parse_valid(test_support::built_image());
  const DetectedLayout layout = detect_data_layout(elf);
  INFO(describe(layout));
  REQUIRE(layout.confidence == LayoutConfidence::certain);
  REQUIRE(elf.data_layout());
  CHECK(layout.rng_distance ==
        elf.data_layout()->data_area_size - elf.data_layout()->rng_data_offset);
  REQUIRE(layout.profile != nullptr);
  CHECK(std::string(layout.profile->name) == "linux-6.15");
  CHECK_FALSE(layout.timens_delta);
  CHECK(layout.data_area_size() == elf.data_layout()->data_area_size);
  CHECK(layout.rng_data_offset() == elf.data_layout()->rng_data_offset);
}

TEST_CASE("the detector recovers each profile image's profile from its code alone") {
  for (const layout::Profile* profile : layout::kProfiles) {
    INFO(profile->name);
    Bytes bytes = test_support::built_profile_image(profile->name);
    const ElfImage elf = test_support::parse_valid(bytes);
    const DetectedLayout layout = detect_data_layout(elf);
    INFO(describe(layout));
    REQUIRE(layout.confidence == LayoutConfidence::certain);
    REQUIRE(layout.profile != nullptr);
    CHECK(std::string(layout.profile->name) == profile->name);
    // The note says the same, but the detector never read it.
    REQUIRE(elf.data_layout());
    CHECK(elf.data_layout()->profile == layout.profile);
    CHECK(layout.rng_data_offset() == elf.data_layout()->rng_data_offset);
    CHECK(layout.data_area_size() == elf.data_layout()->data_area_size);
    CHECK(layout.timens_delta.has_value() == profile->has_timens_indirection);
    if (profile->has_timens_indirection) {
      const TimensIndirection& t = *elf.data_layout()->timens;
      CHECK(*layout.timens_delta == t.timens_page_offset - t.vvar_page_offset);
      CHECK(*layout.clock_mode_distance == elf.data_layout()->data_area_size - t.clock_mode_offset);
    }
    // Without its note the image is still recognised.
    const uint64_t desc = test_support::data_layout_desc_offset(bytes);
    bytes[desc - 12 + 0] = 'x';  // the owner name: no longer "vdsoforge"
    const ElfImage noteless = test_support::parse_valid(bytes);
    REQUIRE_FALSE(noteless.data_layout());
    CHECK(detect_data_layout(noteless).profile == layout.profile);
  }
}

TEST_CASE("the live kernel vDSO's layout matches the [vvar] and [vvar_vclock] mappings") {
  const ElfImage elf = test_support::parse_valid(test_support::kernel_vdso());
  const DetectedLayout layout = detect_data_layout(elf);
  INFO(describe(layout));
  REQUIRE(layout.confidence == LayoutConfidence::certain);
  REQUIRE(layout.profile != nullptr);
  Error err;
  const auto vdso = find_kernel_vdso(err);
  REQUIRE(vdso);
  uint64_t vvar_pages = 0, vclock_pages = 0, data_bytes_below = 0;
  for (const KernelMapping& m : vdso->mappings) {
    if (m.name == "[vvar]") vvar_pages += (m.end - m.start) / 4096;
    if (m.name == "[vvar_vclock]") vclock_pages += (m.end - m.start) / 4096;
    if (m.name.starts_with("[vvar") && m.end <= vdso->base) data_bytes_below += m.end - m.start;
  }
  CHECK(vvar_pages == layout.profile->vvar_mapping_pages);
  CHECK(vclock_pages == layout.profile->vvar_vclock_mapping_pages);
  CHECK(data_bytes_below == layout.profile->data_area_size);
  CHECK(layout.rng_distance <= data_bytes_below);
}

TEST_CASE("direct loads of generation and is_ready give the distance") {
  CodeWriter code;
  code.rip(kMovzxEcxRip, 0x2ff8).rip(kMovRaxRip, 0x3000).raw(kRet);
  const DetectedLayout layout = code.detect();
  INFO(describe(layout));
  CHECK(layout.rng_distance == 0x3000);
  // No profile puts the rng data there: known, but only partly.
  CHECK(layout.confidence == LayoutConfidence::partial);
  CHECK(layout.profile == nullptr);
  CHECK(layout.profile_name() == "none");
  CHECK(layout.data_area_size() == 0x3000);
  CHECK(layout.rng_data_offset() == 0);
}

TEST_CASE("the 6.11 and 6.13 time-namespace indirections are told apart") {
  SECTION("linux-6.11: timens page three pages above the vvar page, vdso_data at +128") {
    const DetectedLayout layout = pre_615_code(0x3d80, 0x3000, 0x4000 - 0x84);
    INFO(describe(layout));
    CHECK(layout.confidence == LayoutConfidence::certain);
    CHECK(layout.profile_name() == "linux-6.11");
    CHECK(layout.rng_distance == 0x3d80);
    CHECK(layout.timens_delta == 0x3000u);
  }
  SECTION("linux-6.13: timens page right above the vvar page, vdso_data at +0") {
    const DetectedLayout layout = pre_615_code(0x3d80, 0x1000, 0x4000 - 0x4);
    INFO(describe(layout));
    CHECK(layout.confidence == LayoutConfidence::certain);
    CHECK(layout.profile_name() == "linux-6.13");
    CHECK(layout.timens_delta == 0x1000u);
  }
  SECTION("a clock mode at an offset no kernel used: rng known, profile not") {
    const DetectedLayout layout = pre_615_code(0x3d80, 0x1000, 0x4000 - 0x40);
    INFO(describe(layout));
    CHECK(layout.confidence == LayoutConfidence::partial);
    CHECK(layout.profile == nullptr);
    CHECK(layout.rng_distance == 0x3d80);
  }
}

TEST_CASE("pre-6.15 distances without a time-namespace check are not pinned to 6.11 or 6.13") {
  CodeWriter code;
  code.rip(kMovzxEcxRip, 0x3d78).rip(kMovRaxRip, 0x3d80).raw(kRet);
  const DetectedLayout layout = code.detect();
  INFO(describe(layout));
  CHECK(layout.confidence == LayoutConfidence::partial);
  CHECK(layout.profile == nullptr);
  CHECK(layout.reason.find("CONFIG_TIME_NS") != std::string::npos);
}

TEST_CASE("unrecognisable code is unknown and says why") {
  SECTION("no RIP-relative load at all") {
    CodeWriter code;
    code.raw({0x31, 0xc0}).raw(kRet);  // xor eax, eax; ret
    const DetectedLayout layout = code.detect();
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("no RIP-relative reference") != std::string::npos);
    CHECK(describe(layout).starts_with("unknown: "));
  }
  SECTION("a generation without is_ready") {
    CodeWriter code;
    code.rip(kMovRaxRip, 0x4000).raw(kRet);
    const DetectedLayout layout = code.detect();
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("none is a u64 generation") != std::string::npos);
  }
  SECTION("two conflicting rng-data addresses and no clock mode to choose") {
    CodeWriter code;
    code.rip(kMovzxEcxRip, 0x3ff8)
        .rip(kMovRaxRip, 0x4000)
        .rip(kMovzxEcxRip, 0x1ff8)
        .rip(kMovRaxRip, 0x2000)
        .raw(kRet);
    const DetectedLayout layout = code.detect();
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("conflicting rng-data addresses") != std::string::npos);
  }
  SECTION("bytes that are no x86-64 instruction") {
    CodeWriter code;
    code.raw({0x06});  // push es: invalid in 64-bit mode
    const DetectedLayout layout = code.detect();
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("does not decode") != std::string::npos);
  }
  SECTION("a stripped symbol") {
    Bytes bytes = test_support::built_image();
    // Rename the symbol in place (same length): the code stays, the name goes.
    const uint64_t name = test_support::dynstr_offset(bytes, "__vdso_getrandom");
    bytes[name + 2] = 'X';
    // The hash tables no longer find the name: parse as `abi` and `dump` do.
    ElfError err;
    const auto elf = ElfImage::parse(bytes, ParseMode::inspect, err);
    INFO(err.message);
    REQUIRE(elf);
    const DetectedLayout layout = detect_data_layout(*elf);
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("no defined __vdso_getrandom") != std::string::npos);
  }
  SECTION("a symbol of size 0") {
    Bytes bytes = test_support::built_image();
    const uint64_t sym = test_support::dynsym_offset(bytes, "__vdso_getrandom");
    test_support::put<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_size), 0);
    const DetectedLayout layout = detect_data_layout(test_support::parse_valid(bytes));
    CHECK_FALSE(layout.known());
    CHECK(layout.reason.find("size 0") != std::string::npos);
  }
}
