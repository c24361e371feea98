// The time data's shape per kernel generation, on the image's algorithm
// compiled for the host (vdso_src/host_time.h) over data areas built here:
// the generic layout's tail lies at +464 on Linux 6.15/6.16 and at +2320 on
// 6.17+, and the image finds it in either, serving the auxiliary clocks only
// where their records exist.
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "host_time.h"
#include "time_layout.h"
#include "vdso_time_abi.h"

namespace abi = vdsoforge::abi;
namespace layout = vdsoforge::layout;
using layout::ProfileId;

// The kernels' numbers: 6.15/6.16 struct vdso_time_data is the two records
// and the tail; 6.17 put aux_clock_data[8] between them.
static_assert(sizeof(abi::VdsoClock) == 232);
static_assert(offsetof(abi::VdsoTimeData615, tail) == 2 * 232);
static_assert(offsetof(abi::VdsoTimeData, aux_clock_data) == 2 * 232);
static_assert(offsetof(abi::VdsoTimeData, tail) == 10 * 232);
static_assert(layout::kGenericTimeLayout.clock_stride == 232);
static_assert(layout::kLegacyTimeLayout611.tail_offset == 232 &&
              layout::kLegacyTimeLayout611.short_tail_offset == 0);

namespace {

constexpr int kClockAux = 16;

// A linux-6.15 data area (six pages), all zero: clock mode NONE in both
// records, so the clocks themselves are the system call's.
std::vector<uint8_t> empty_area() { return std::vector<uint8_t>(layout::kLinux615.data_area_size); }

void put_tail(std::vector<uint8_t>& area, uint32_t offset, int32_t minuteswest, int32_t dsttime,
              uint32_t hrtimer_res) {
  const abi::VdsoTimeTail tail{minuteswest, dsttime, hrtimer_res, 0};
  std::memcpy(area.data() + offset, &tail, sizeof tail);
}

// What the kernel answers by system call, as the image returns it (-errno).
long syscall_answer(long number, int clock) {
  abi::KernelTimespec ts{};
  const long rc = syscall(number, clock, &ts);
  return rc < 0 ? -errno : rc;
}

}  // namespace

TEST_CASE("the generic tail is read at +2320 from 6.17+ data and at +464 from 6.15/6.16 data") {
  for (const ProfileId profile : {ProfileId::linux_6_15, ProfileId::custom}) {
    CAPTURE(static_cast<int>(profile));
    {
      // 6.17+: the tail after the aux records; what lies at +464 is aux
      // record 0 (here bytes that would read as a different timezone).
      auto area = empty_area();
      put_tail(area, 2320, -120, 1, 1);
      put_tail(area, 464, 300, 0, 7);
      abi::KernelTimezone tz{};
      REQUIRE(vdsoforge::host::gettimeofday(profile, area.data(), nullptr, &tz) == 0);
      CHECK(tz.tz_minuteswest == -120);
      CHECK(tz.tz_dsttime == 1);
      abi::KernelTimespec res{};
      REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), abi::kClockMonotonic, &res) == 0);
      CHECK(res.tv_nsec == 1);
      // The aux clocks' resolution, 1 ns, where their records exist.
      REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), kClockAux, &res) == 0);
      CHECK(res.tv_nsec == 1);
    }
    {
      // 6.15/6.16: the structure ends at +480; the page beyond stays zero.
      auto area = empty_area();
      put_tail(area, 464, 300, 1, 5);
      abi::KernelTimezone tz{};
      REQUIRE(vdsoforge::host::gettimeofday(profile, area.data(), nullptr, &tz) == 0);
      CHECK(tz.tz_minuteswest == 300);
      CHECK(tz.tz_dsttime == 1);
      abi::KernelTimespec res{};
      REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), abi::kClockMonotonic, &res) == 0);
      CHECK(res.tv_nsec == 5);
      // No aux records: +464 holds the tail (read as a record: seq 300,
      // clock mode 1, TSC), so both calls must be the kernel's, not a time
      // computed from the timezone.
      abi::KernelTimespec ts{};
      CHECK(vdsoforge::host::clock_gettime(profile, area.data(), kClockAux, &ts) ==
            syscall_answer(SYS_clock_gettime, kClockAux));
      CHECK(vdsoforge::host::clock_getres(profile, area.data(), kClockAux, &res) ==
            syscall_answer(SYS_clock_getres, kClockAux));
    }
  }
}

TEST_CASE("the pre-6.15 profiles keep the tail in vdso_data[0], +232 from their first record") {
  for (const auto& [profile, time_data] :
       {std::pair{ProfileId::linux_6_11, 128u}, std::pair{ProfileId::linux_6_13, 0u}}) {
    CAPTURE(static_cast<int>(profile));
    std::vector<uint8_t> area(layout::kLinux611.data_area_size);
    put_tail(area, time_data + 232, -60, 0, 3);
    abi::KernelTimezone tz{};
    REQUIRE(vdsoforge::host::gettimeofday(profile, area.data(), nullptr, &tz) == 0);
    CHECK(tz.tz_minuteswest == -60);
    abi::KernelTimespec res{};
    REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), abi::kClockBoottime, &res) == 0);
    CHECK(res.tv_nsec == 3);
    // No aux clocks before 6.15: the system call's answer.
    CHECK(vdsoforge::host::clock_getres(profile, area.data(), kClockAux, &res) ==
          syscall_answer(SYS_clock_getres, kClockAux));
  }
}

// ---- The paravirtual clock pages ----

namespace {

uint64_t tsc_now() {
  _mm_lfence();
  const uint64_t tsc = __rdtsc();
  _mm_lfence();
  return tsc;
}

// The 128-bit products the formulas need, written out here rather than
// taken from the image's header.
uint64_t mul_shift(uint64_t a, uint64_t b, unsigned shift) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> shift);
}

// The record: counter value `cycle_last` maps to CLOCK_MONOTONIC 100.25 s;
// each counter unit is mult / 2^shift ns.
constexpr uint32_t kRecordShift = 20;
constexpr uint32_t kRecordMult = (1u << kRecordShift) + 12345;
constexpr uint64_t kBaseSec = 100;
constexpr uint64_t kBaseNsec = 250'000'000;

void put_record(std::vector<uint8_t>& area, uint32_t time_data, int32_t mode, uint64_t cycle_last) {
  abi::VdsoClock clock{};
  clock.seq = 2;
  clock.clock_mode = mode;
  clock.cycle_last = cycle_last;
  clock.max_cycles = uint64_t{1} << 40;
  clock.mask = UINT64_MAX;
  clock.mult = kRecordMult;
  clock.shift = kRecordShift;
  clock.basetime[abi::kClockMonotonic] = {kBaseSec, kBaseNsec << kRecordShift};
  std::memcpy(area.data() + time_data, &clock, sizeof clock);
}

// CLOCK_MONOTONIC in ns from the record's counter value, as the kernel's
// vdso_calc_ns computes it for a delta below max_cycles.
__int128 monotonic_at(uint64_t cycles, uint64_t cycle_last) {
  const uint64_t ns =
      ((cycles - cycle_last) * kRecordMult + (kBaseNsec << kRecordShift)) >> kRecordShift;
  return static_cast<__int128>(kBaseSec) * 1'000'000'000 + ns;
}

__int128 as_ns(const abi::KernelTimespec& ts) {
  return static_cast<__int128>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The kernel's own CLOCK_MONOTONIC now (by system call), to recognise a
// fallback: the synthetic clock reads about 100 s, this machine's uptime
// otherwise.
__int128 kernel_monotonic() {
  abi::KernelTimespec ts{};
  REQUIRE(syscall(SYS_clock_gettime, abi::kClockMonotonic, &ts) == 0);
  return as_ns(ts);
}

struct PvclockCase {
  uint32_t mul;
  int8_t shift;
};

struct ProfilePages {
  ProfileId profile;
  uint32_t time_data;
  uint32_t pvclock;
  uint32_t hvclock;
  uint32_t area_size;
};
constexpr ProfilePages kPages[] = {{ProfileId::linux_6_11, 128, 0x1000, 0x2000, 0x4000},
                                   {ProfileId::linux_6_13, 0, 0x2000, 0x3000, 0x4000},
                                   {ProfileId::linux_6_15, 0, 0x4000, 0x5000, 0x6000}};

}  // namespace

TEST_CASE("pvclock: vCPU 0's page read as the kernel reads it, between two TSC reads") {
  for (const ProfilePages& p : kPages) {
    for (const PvclockCase c :
         {PvclockCase{0x80000000u, 1}, PvclockCase{0xf0000000u, -1}, PvclockCase{0x9abcdef0u, 0}}) {
      CAPTURE(static_cast<int>(p.profile), c.mul, int{c.shift});
      std::vector<uint8_t> area(p.area_size);
      abi::PvclockVcpuTimeInfo pvti{};
      pvti.version = 4;
      pvti.tsc_timestamp = tsc_now();
      pvti.system_time = 5'000'000'000;
      pvti.tsc_to_system_mul = c.mul;
      pvti.tsc_shift = c.shift;
      pvti.flags = abi::kPvclockTscStableBit;
      std::memcpy(area.data() + p.pvclock, &pvti, sizeof pvti);
      const uint64_t cycle_last = pvti.system_time;
      put_record(area, p.time_data, abi::kClockModePvclock, cycle_last);

      // The pvclock time at a TSC value: system_time plus the scaled delta.
      const auto pvclock_at = [&](uint64_t tsc) {
        uint64_t delta = tsc - pvti.tsc_timestamp;
        delta = c.shift < 0 ? delta >> -c.shift : delta << c.shift;
        return (pvti.system_time + mul_shift(delta, c.mul, 32)) & INT64_MAX;
      };
      const uint64_t before = tsc_now();
      abi::KernelTimespec ts{};
      REQUIRE(vdsoforge::host::clock_gettime(p.profile, area.data(), abi::kClockMonotonic, &ts) ==
              0);
      const uint64_t after = tsc_now();
      CHECK(as_ns(ts) >= monotonic_at(pvclock_at(before), cycle_last));
      CHECK(as_ns(ts) <= monotonic_at(pvclock_at(after), cycle_last));

      // Without PVCLOCK_TSC_STABLE_BIT the page is not used: the kernel's
      // clock comes back instead of the synthetic one.
      pvti.flags = 0;
      std::memcpy(area.data() + p.pvclock, &pvti, sizeof pvti);
      const __int128 kernel_before = kernel_monotonic();
      REQUIRE(vdsoforge::host::clock_gettime(p.profile, area.data(), abi::kClockMonotonic, &ts) ==
              0);
      CHECK(as_ns(ts) >= kernel_before);
      CHECK(as_ns(ts) <= kernel_monotonic());
    }
  }
}

TEST_CASE("Hyper-V TSC page: read as the kernel reads it, sequence 0 falls back") {
  for (const ProfilePages& p : kPages) {
    CAPTURE(static_cast<int>(p.profile));
    std::vector<uint8_t> area(p.area_size);
    abi::HvTscPage page{};
    page.tsc_sequence = 7;
    page.tsc_scale = 0x4000000000000000ull + 0x123456789ull;  // about 1/4 unit per TSC tick
    page.tsc_offset = -static_cast<int64_t>(mul_shift(tsc_now(), page.tsc_scale, 64)) + 1'000'000;
    std::memcpy(area.data() + p.hvclock, &page, sizeof page);
    const auto reference_at = [&](uint64_t tsc) {
      return (mul_shift(tsc, page.tsc_scale, 64) + static_cast<uint64_t>(page.tsc_offset)) &
             INT64_MAX;
    };
    const uint64_t cycle_last = reference_at(tsc_now());
    put_record(area, p.time_data, abi::kClockModeHvclock, cycle_last);

    const uint64_t before = tsc_now();
    abi::KernelTimespec ts{};
    REQUIRE(vdsoforge::host::clock_gettime(p.profile, area.data(), abi::kClockMonotonic, &ts) == 0);
    const uint64_t after = tsc_now();
    CHECK(as_ns(ts) >= monotonic_at(reference_at(before), cycle_last));
    CHECK(as_ns(ts) <= monotonic_at(reference_at(after), cycle_last));

    page.tsc_sequence = 0;
    std::memcpy(area.data() + p.hvclock, &page, sizeof page);
    const __int128 kernel_before = kernel_monotonic();
    REQUIRE(vdsoforge::host::clock_gettime(p.profile, area.data(), abi::kClockMonotonic, &ts) == 0);
    CHECK(as_ns(ts) >= kernel_before);
    CHECK(as_ns(ts) <= kernel_monotonic());
  }
}

TEST_CASE("an explicit area has no paravirtual pages: both modes take the system call") {
  for (const int32_t mode : {abi::kClockModePvclock, abi::kClockModeHvclock}) {
    CAPTURE(mode);
    // Pages that would be valid where linux-6.15 keeps them: not read here.
    std::vector<uint8_t> area(0x6000);
    abi::PvclockVcpuTimeInfo pvti{};
    pvti.version = 2;
    pvti.flags = abi::kPvclockTscStableBit;
    pvti.tsc_to_system_mul = 0x80000000u;
    std::memcpy(area.data() + 0x4000, &pvti, sizeof pvti);
    abi::HvTscPage page{};
    page.tsc_sequence = 1;
    page.tsc_scale = uint64_t{1} << 62;
    std::memcpy(area.data() + 0x5000, &page, sizeof page);
    put_record(area, 0, mode, 0);
    const __int128 kernel_before = kernel_monotonic();
    abi::KernelTimespec ts{};
    REQUIRE(vdsoforge::host::clock_gettime(ProfileId::custom, area.data(), abi::kClockMonotonic,
                                           &ts) == 0);
    CHECK(as_ns(ts) >= kernel_before);
    CHECK(as_ns(ts) <= kernel_monotonic());
  }
}

TEST_CASE("inside a time namespace the pvclock page is found from the real record's slot") {
  constexpr int64_t kOffsetSec = 3600;
  for (const ProfilePages& p : kPages) {
    CAPTURE(static_cast<int>(p.profile));
    const uint32_t timens_page = p.profile == ProfileId::linux_6_11 ? 0x3000 : 0x1000;
    std::vector<uint8_t> area(p.area_size);
    abi::PvclockVcpuTimeInfo pvti{};
    pvti.version = 2;
    pvti.tsc_timestamp = tsc_now();
    pvti.system_time = 7'000'000'000;
    pvti.tsc_to_system_mul = 0x80000000u;
    pvti.tsc_shift = 1;
    pvti.flags = abi::kPvclockTscStableBit;
    std::memcpy(area.data() + p.pvclock, &pvti, sizeof pvti);
    // The kernel's swap: the real records at the timens slot, the
    // namespace's (seq 1, TIMENS, offsets) at the time data's own slot.
    put_record(area, timens_page + p.time_data, abi::kClockModePvclock, pvti.system_time);
    abi::VdsoClock ns_record{};
    ns_record.seq = 1;
    ns_record.clock_mode = abi::kClockModeTimensMarker;
    ns_record.offset[abi::kClockMonotonic] = {kOffsetSec, 0};
    std::memcpy(area.data() + p.time_data, &ns_record, sizeof ns_record);

    const auto pvclock_at = [&](uint64_t tsc) {
      return (pvti.system_time + mul_shift((tsc - pvti.tsc_timestamp) << 1, 0x80000000u, 32)) &
             INT64_MAX;
    };
    const uint64_t before = tsc_now();
    abi::KernelTimespec ts{};
    REQUIRE(vdsoforge::host::clock_gettime(p.profile, area.data(), abi::kClockMonotonic, &ts) == 0);
    const uint64_t after = tsc_now();
    const __int128 offset = static_cast<__int128>(kOffsetSec) * 1'000'000'000;
    CHECK(as_ns(ts) >= monotonic_at(pvclock_at(before), pvti.system_time) + offset);
    CHECK(as_ns(ts) <= monotonic_at(pvclock_at(after), pvti.system_time) + offset);
  }
}
