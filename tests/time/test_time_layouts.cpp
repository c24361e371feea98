// The time data's shape per kernel generation, on the image's algorithm
// compiled for the host (vdso_src/host_time.h) over data areas built here:
// the generic layout's tail lies at +464 on Linux 6.15/6.16 and at +2320 on
// 6.17+, and the image finds it in either, serving the auxiliary clocks only
// where their records exist.
#include <sys/syscall.h>
#include <unistd.h>

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
      REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), abi::kClockMonotonic, &res) ==
              0);
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
      REQUIRE(vdsoforge::host::clock_getres(profile, area.data(), abi::kClockMonotonic, &res) ==
              0);
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
