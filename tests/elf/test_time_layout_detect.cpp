// The time-data layout detector: real kernels' vDSOs (the 6.12 fixtures and
// the running kernel), every built image, and images whose time code was
// altered on purpose, including the ways it must say "not determined".
#include <elf.h>
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "image_bytes.h"
#include "vdsoforge/layout_detect.h"
#include "vdsoforge/time_layout.h"
#include "vdsoforge/time_layout_detect.h"

using namespace vdsoforge;
using test_support::Bytes;
using State = TimeFact::State;

namespace {

std::vector<uint64_t> values(std::initializer_list<uint64_t> list) { return list; }

void require_found(const TimeFact& fact, const std::vector<uint64_t>& expected) {
  INFO(fact.basis);
  CHECK(fact.state == State::found);
  CHECK(fact.values == expected);
}

// What a kernel of `profile` keeps where, as distances below the vDSO for an
// area of `area` bytes (time_layout.h, pinned to the kernels' sources).
void require_profile_layout(const DetectedTimeLayout& t, const layout::Profile* profile,
                            uint64_t area) {
  const layout::TimeLayout& expected = layout::time_layout_of(profile);
  REQUIRE(t.has_time_functions);
  require_found(t.time_data, {area - expected.time_data_offset});
  require_found(t.timens_page, {area - expected.timens_page_offset});
  require_found(t.record_stride, {expected.clock_stride});
}

// The running kernel's version, as (major << 8) | minor.
unsigned kernel_version() {
  utsname name{};
  REQUIRE(uname(&name) == 0);
  unsigned major = 0, minor = 0;
  REQUIRE(std::sscanf(name.release, "%u.%u", &major, &minor) == 2);
  return major << 8 | minor;
}

}  // namespace

TEST_CASE("real 6.12 kernels' time functions read 6.11's time data layout") {
  const uint64_t area = layout::kLinux611.data_area_size;
  for (std::string_view fixture : {test_support::kDebian612Vdso, test_support::kClang612Vdso}) {
    INFO(fixture);
    const DetectedTimeLayout t =
        detect_time_layout(test_support::parse_valid(test_support::kernel_fixture(fixture)));
    require_profile_layout(t, &layout::kLinux611, area);
    CHECK(t.record_stride.values == values({248}));
    require_found(t.tail, {layout::kLegacyTimeLayout611.tail_offset});
    if (fixture == test_support::kDebian612Vdso) {
      // Debian's config has kvmclock and the Hyper-V clock: both pages read.
      require_found(t.pvclock_page, {area - layout::kLegacyTimeLayout611.pvclock_page_offset});
      require_found(t.hvclock_page, {area - layout::kLegacyTimeLayout611.hvclock_page_offset});
    } else {
      // tinyconfig has no paravirtual clocks: a determined "never read".
      CHECK(t.pvclock_page.state == State::absent);
      CHECK(t.hvclock_page.state == State::absent);
    }
  }
}

TEST_CASE("each built image's time code reads where its profile's kernel keeps the data") {
  for (const layout::Profile* profile : layout::kProfiles) {
    INFO(profile->name);
    const DetectedTimeLayout t = detect_time_layout(
        test_support::parse_valid(test_support::built_profile_image(profile->name)));
    const layout::TimeLayout& expected = layout::time_layout_of(profile);
    require_profile_layout(t, profile, profile->data_area_size);
    // The generic layout's image reads the tail where 6.17+ keeps it, or
    // where 6.15/6.16 did: both places show in its code.
    if (expected.shape == layout::TimeDataShape::generic_time_data)
      require_found(t.tail, {expected.short_tail_offset, expected.tail_offset});
    else
      require_found(t.tail, {expected.tail_offset});
    require_found(t.pvclock_page, {profile->data_area_size - expected.pvclock_page_offset});
    require_found(t.hvclock_page, {profile->data_area_size - expected.hvclock_page_offset});
  }
  // The default image's explicit area: the generic shape, no paravirtual pages.
  const Bytes bytes = test_support::built_image();
  const ElfImage elf = test_support::parse_valid(bytes);
  REQUIRE(elf.data_layout());
  const DetectedTimeLayout t = detect_time_layout(elf);
  require_profile_layout(t, nullptr, elf.data_layout()->data_area_size);
  require_found(t.tail, {layout::kExplicitTimeLayout.short_tail_offset,
                         layout::kExplicitTimeLayout.tail_offset});
  CHECK(t.pvclock_page.state == State::absent);
  CHECK(t.hvclock_page.state == State::absent);
}

TEST_CASE("the live kernel's time functions read where its profile keeps the time data") {
  const ElfImage elf = test_support::parse_valid(test_support::kernel_vdso());
  const DetectedLayout rng = detect_data_layout(elf);
  REQUIRE(rng.profile != nullptr);
  INFO(rng.profile->name);
  const DetectedTimeLayout t = detect_time_layout(elf);
  const layout::TimeLayout& expected = layout::time_layout_of(rng.profile);
  const uint64_t area = rng.profile->data_area_size;
  require_profile_layout(t, rng.profile, area);
  // The generic layout's tail moved in 6.17; the kernel's code shows one.
  uint64_t tail = expected.tail_offset;
  if (expected.shape == layout::TimeDataShape::generic_time_data && kernel_version() < 0x0611)
    tail = expected.short_tail_offset;
  require_found(t.tail, {tail});
  // Whether the kernel reads a paravirtual page depends on its config; where
  // it reads one, it is where the profile maps it.
  REQUIRE(t.pvclock_page.determined());
  REQUIRE(t.hvclock_page.determined());
  if (t.pvclock_page.state == State::found)
    CHECK(t.pvclock_page.values == values({area - expected.pvclock_page_offset}));
  if (t.hvclock_page.state == State::found)
    CHECK(t.hvclock_page.values == values({area - expected.hvclock_page_offset}));
}

TEST_CASE("a getrandom-only image has no time functions to judge") {
  const DetectedTimeLayout t = detect_time_layout(
      test_support::parse_valid(test_support::read_file(VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE)));
  CHECK_FALSE(t.has_time_functions);
}

TEST_CASE("altered time code: the detector reports what the code now reads") {
  Bytes bytes = test_support::built_image();
  const uint64_t area = test_support::parse_valid(bytes).data_layout()->data_area_size;
  const uint64_t record0 = area - layout::kExplicitTimeLayout.time_data_offset;

  SECTION("clock_getres() reading the 6.17+ tail 16 bytes too far") {
    test_support::move_getres_tail_up(bytes, record0);
    const DetectedTimeLayout t = detect_time_layout(test_support::parse_valid(bytes));
    require_found(t.tail, {464, 2336});
    require_found(t.time_data, {record0});
  }

  SECTION("time() reading one page above clock_gettime(): a conflict, not determined") {
    test_support::move_time_reads_one_page_up(bytes, record0);
    const DetectedTimeLayout t = detect_time_layout(test_support::parse_valid(bytes));
    // time()'s record is now the namespace slot's, which clock_gettime()
    // reads too; time()'s namespace copy one page above it, it never reads.
    CHECK(t.time_data.state == State::not_determined);
    CHECK(t.time_data.basis ==
          "time() reads clock record 0 at base - 0x5000, but clock_gettime() "
          "reads no clock mode at base - 0x3ffc");
    CHECK(t.record_stride.state == State::not_determined);
  }

  SECTION("record 1 read at two strides: conflicting evidence is not determined") {
    // CLOCK_MONOTONIC_RAW's record through the vvar page moved 16 bytes up
    // (its address at record 0 + 232, its clock mode at + 236), while the
    // namespace path still reads it at + 232.
    const test_support::FunctionBytes gettime =
        test_support::function_bytes(bytes, "__vdso_clock_gettime");
    CHECK(test_support::move_rip_operands(bytes, gettime, record0 - 232, record0 - 248) >= 1);
    CHECK(test_support::move_rip_operands(bytes, gettime, record0 - 236, record0 - 252) >= 1);
    const DetectedTimeLayout t = detect_time_layout(test_support::parse_valid(bytes));
    CHECK(t.record_stride.state == State::not_determined);
    CHECK(t.record_stride.basis.find("+ 236 or + 252") != std::string::npos);
    require_found(t.time_data, {record0});
  }

  SECTION("time() reduced to `xor eax, eax; ret`: nothing it reads, so not determined") {
    const test_support::FunctionBytes time = test_support::function_bytes(bytes, "__vdso_time");
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(time.offset),
              bytes.begin() + static_cast<ptrdiff_t>(time.offset + time.size), 0xcc);
    bytes[time.offset] = 0x31, bytes[time.offset + 1] = 0xc0, bytes[time.offset + 2] = 0xc3;
    const DetectedTimeLayout t = detect_time_layout(test_support::parse_valid(bytes));
    CHECK(t.has_time_functions);
    CHECK(t.time_data.state == State::not_determined);
    CHECK(t.time_data.basis.find("time() has no time-namespace check") != std::string::npos);
    CHECK(t.timens_page.state == State::not_determined);
    // Record offsets need record 0, and so does telling a record at a
    // page's start from a Hyper-V TSC page; a pvclock page has its own marks.
    CHECK(t.record_stride.state == State::not_determined);
    CHECK(t.tail.state == State::not_determined);
    CHECK(t.hvclock_page.state == State::not_determined);
    CHECK(t.pvclock_page.state == State::absent);
  }

  SECTION("time()'s symbol of size 0: its code cannot be delimited") {
    const uint64_t sym = test_support::dynsym_offset(bytes, "__vdso_time");
    test_support::put<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_size), 0);
    const DetectedTimeLayout t = detect_time_layout(test_support::parse_valid(bytes));
    CHECK(t.time_data.state == State::not_determined);
    CHECK(t.time_data.basis.find("__vdso_time: it has size 0") != std::string::npos);
    CHECK(t.pvclock_page.state == State::not_determined);
  }
}
