// Every clock of every shipped image against the running kernel's vDSO,
// with the image's time data mirrored from the kernel's (follow_kernel):
// interleaved kernel / image / kernel reads are ordered, the image never goes
// backwards, the coarse clocks equal the kernel's, and what the vDSO does not
// serve gives the kernel's answer.
#include <cpuid.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <set>

#include "time_images.h"

using vdsoforge::abi::KernelTimespec;
using vdsoforge::abi::KernelTimeval;
using vdsoforge::abi::KernelTimezone;
namespace abi = vdsoforge::abi;
using namespace time_test;

namespace {

constexpr int kServedClocks[] = {abi::kClockRealtime,
                                 abi::kClockMonotonic,
                                 abi::kClockMonotonicRaw,
                                 abi::kClockRealtimeCoarse,
                                 abi::kClockMonotonicCoarse,
                                 abi::kClockBoottime,
                                 abi::kClockTai};
constexpr int kCoarseClocks[] = {abi::kClockRealtimeCoarse, abi::kClockMonotonicCoarse};

}  // namespace

TEST_CASE("each vDSO clock reads between two kernel reads and never goes backwards") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    vdsoforge::LoadedImage* image = &following_image(named);
    REQUIRE(image->data_page()->has_time_data());
    REQUIRE(image->data_page()->time_mode() == vdsoforge::TimeMode::follow_kernel);
    // The mirrored records are in TSC mode, so the image computes every hres
    // clock itself instead of falling back to the system call.
    REQUIRE(image->data_page()->time()->clocks[abi::kCsHresCoarse].clock_mode ==
            abi::kClockModeTsc);
    REQUIRE(image->data_page()->time()->clocks[abi::kCsRaw].clock_mode == abi::kClockModeTsc);
    const TimeFunctions mine = time_functions(*image);
    for (int clock : kServedClocks) {
      INFO(named.name << ", clock " << clock);
      __int128 previous = 0;
      for (int i = 0; i < 2000; ++i) {
        KernelTimespec before{}, ours{}, after{};
        REQUIRE(kernel.clock_gettime(clock, &before) == 0);
        REQUIRE(mine.clock_gettime(clock, &ours) == 0);
        REQUIRE(kernel.clock_gettime(clock, &after) == 0);
        REQUIRE(ours.tv_nsec >= 0);
        REQUIRE(ours.tv_nsec < 1'000'000'000);
        // The coarse clocks lag by at most one mirror interval; the hres
        // clocks are computed from the kernel's own base and rate.
        const bool coarse =
            clock == abi::kClockRealtimeCoarse || clock == abi::kClockMonotonicCoarse;
        const __int128 slack = coarse ? kCoarseLag : 0;
        CHECK(to_ns(before) - slack <= to_ns(ours));
        CHECK(to_ns(ours) <= to_ns(after));
        CHECK(to_ns(ours) >= previous);
        previous = to_ns(ours);
      }
    }
  }
}

TEST_CASE("the coarse clocks equal the kernel's once the data is mirrored") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    vdsoforge::OpenOptions manual;
    manual.time_mode = vdsoforge::TimeMode::manual;
    auto image = open_image(named.path, manual);
    const TimeFunctions mine = time_functions(*image);
    for (int clock : kCoarseClocks) {
      INFO(named.name << ", clock " << clock);
      int equal_seen = 0;
      for (int i = 0; i < 200; ++i) {
        KernelTimespec before{}, ours{}, after{};
        REQUIRE(kernel.clock_gettime(clock, &before) == 0);
        REQUIRE(!image->data_page()->sync_time_with_kernel());
        REQUIRE(mine.clock_gettime(clock, &ours) == 0);
        REQUIRE(kernel.clock_gettime(clock, &after) == 0);
        CHECK(to_ns(before) <= to_ns(ours));
        CHECK(to_ns(ours) <= to_ns(after));
        // No tick in between: the very same stored value.
        if (to_ns(before) == to_ns(after)) {
          CHECK(to_ns(ours) == to_ns(before));
          ++equal_seen;
        }
      }
      CHECK(equal_seen > 0);
    }
  }
}

TEST_CASE("clock_getres gives the kernel's resolution for every clock id") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    vdsoforge::LoadedImage* image = &following_image(named);
    const TimeFunctions mine = time_functions(*image);
    for (int clock = -3; clock <= 24; ++clock) {
      INFO(named.name << ", clock " << clock);
      KernelTimespec theirs{-1, -1}, ours{-1, -1};
      // The auxiliary clocks (16-23) are Linux 6.17's: an image for an older
      // kernel's layout answers for them as that kernel did, by the system call.
      const bool older_kernel = named.name == "linux-6.11" || named.name == "linux-6.13";
      const bool aux = clock >= 16 && clock <= 23;
      const int kernel_result =
          older_kernel && aux
              ? static_cast<int>(syscall(SYS_clock_getres, clock, &theirs) == 0 ? 0 : -errno)
              : kernel.clock_getres(clock, &theirs);
      const int our_result = mine.clock_getres(clock, &ours);
      CHECK(our_result == kernel_result);
      CHECK(ours.tv_sec == theirs.tv_sec);
      CHECK(ours.tv_nsec == theirs.tv_nsec);
      // A NULL result pointer is allowed, as in the kernel.
      CHECK(mine.clock_getres(clock, nullptr) == our_result);
    }
  }
}

TEST_CASE("CPU-time, alarm, dynamic and invalid clock ids give the kernel's answer") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    vdsoforge::LoadedImage* image = &following_image(named);
    const TimeFunctions mine = time_functions(*image);
    for (int clock : {-1, -7, 8, 9, 10, 12, 15, 16, 23, 24, 31, 32, 1000, int(0x80000000)}) {
      INFO(named.name << ", clock " << clock);
      KernelTimespec theirs{-1, -1}, ours{-1, -1};
      const int kernel_result = kernel.clock_gettime(clock, &theirs);
      const int our_result = mine.clock_gettime(clock, &ours);
      CHECK(our_result == kernel_result);
      if (kernel_result != 0) {
        CHECK(ours.tv_sec == -1);  // untouched, as the kernel leaves it
      }
    }
    // The CPU-time clocks: the system call's answer, ordered with the kernel's.
    for (int clock : {abi::kClockProcessCputime, abi::kClockThreadCputime}) {
      INFO(named.name << ", CPU-time clock " << clock);
      KernelTimespec before{}, ours{}, after{};
      REQUIRE(kernel.clock_gettime(clock, &before) == 0);
      REQUIRE(mine.clock_gettime(clock, &ours) == 0);
      REQUIRE(kernel.clock_gettime(clock, &after) == 0);
      CHECK(to_ns(before) <= to_ns(ours));
      CHECK(to_ns(ours) <= to_ns(after));
    }
  }
}

TEST_CASE("gettimeofday with and without a timezone, and time(NULL) / time(&t)") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    vdsoforge::LoadedImage* image = &following_image(named);
    const TimeFunctions mine = time_functions(*image);
    for (int i = 0; i < 500; ++i) {
      KernelTimeval before{}, ours{}, after{};
      KernelTimezone kernel_zone{-1, -1}, our_zone{-1, -1};
      REQUIRE(kernel.gettimeofday(&before, &kernel_zone) == 0);
      const bool with_zone = i % 2 == 0;
      REQUIRE(mine.gettimeofday(&ours, with_zone ? &our_zone : nullptr) == 0);
      REQUIRE(kernel.gettimeofday(&after, nullptr) == 0);
      const auto us = [](const KernelTimeval& tv) {
        return static_cast<__int128>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
      };
      CHECK(us(before) <= us(ours));
      CHECK(us(ours) <= us(after));
      CHECK(ours.tv_usec >= 0);
      CHECK(ours.tv_usec < 1'000'000);
      if (with_zone) {
        CHECK(our_zone.tz_minuteswest == kernel_zone.tz_minuteswest);
        CHECK(our_zone.tz_dsttime == kernel_zone.tz_dsttime);
      } else {
        CHECK(our_zone.tz_minuteswest == -1);  // not written
      }
    }
    // Only the timezone: the kernel's answer (it takes no clock read).
    KernelTimezone kernel_zone{-1, -1}, our_zone{-1, -1};
    CHECK(kernel.gettimeofday(nullptr, &kernel_zone) == mine.gettimeofday(nullptr, &our_zone));
    CHECK(our_zone.tz_minuteswest == kernel_zone.tz_minuteswest);
    CHECK(our_zone.tz_dsttime == kernel_zone.tz_dsttime);

    for (int i = 0; i < 100; ++i) {
      const long before = kernel.time(nullptr);
      long stored = -1;
      const long returned = mine.time(&stored);
      const long plain = mine.time(nullptr);
      const long after = kernel.time(nullptr);
      CHECK(returned == stored);
      // The mirrored seconds may trail by the copy's lag (kCoarseLag < 1 s).
      CHECK(before - 1 <= returned);
      CHECK(returned <= plain);
      CHECK(plain <= after);
    }
  }
}

TEST_CASE("getcpu names the CPU the thread runs on, as sched_getcpu does") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  cpu_set_t allowed;
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  for (const NamedImage& named : shipped_images()) {
    vdsoforge::LoadedImage* image = &following_image(named);
    const TimeFunctions mine = time_functions(*image);
    std::set<unsigned> seen;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      INFO(named.name << ", pinned to CPU " << cpu);
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
      unsigned our_cpu = ~0u, our_node = ~0u, kernel_cpu = ~0u, kernel_node = ~0u;
      CHECK(mine.getcpu(&our_cpu, &our_node, nullptr) == 0);
      CHECK(kernel.getcpu(&kernel_cpu, &kernel_node, nullptr) == 0);
      CHECK(our_cpu == static_cast<unsigned>(cpu));
      CHECK(static_cast<int>(our_cpu) == sched_getcpu());
      CHECK(our_cpu == kernel_cpu);
      CHECK(our_node == kernel_node);
      // Either pointer may be NULL.
      unsigned only_node = ~0u;
      CHECK(mine.getcpu(nullptr, &only_node, nullptr) == 0);
      CHECK(only_node == kernel_node);
      unsigned only_cpu = ~0u;
      CHECK(mine.getcpu(&only_cpu, nullptr, nullptr) == 0);
      CHECK(only_cpu == static_cast<unsigned>(cpu));
      CHECK(mine.getcpu(nullptr, nullptr, nullptr) == 0);
      seen.insert(our_cpu);
    }
    REQUIRE(sched_setaffinity(0, sizeof allowed, &allowed) == 0);
    CHECK(seen.size() == static_cast<size_t>(CPU_COUNT(&allowed)));
  }
}

TEST_CASE("rdtscp and rdpid are patched in where the CPU has them, and both forms agree") {
  unsigned eax, ebx, ecx, edx;
  const bool rdtscp = __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (edx & (1u << 27));
  const bool rdpid = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 22));
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    for (bool patched : {true, false}) {
      INFO(named.name << (patched ? ", patched" : ", as linked"));
      vdsoforge::OpenOptions options;
      options.cpu_patches = patched;
      auto image = open_image(named.path, options);
      // Every inlined TSC read is a site, and getcpu one more.
      if (patched && (rdtscp || rdpid)) {
        CHECK(image->cpu_patches_applied() > 0);
      } else {
        CHECK(image->cpu_patches_applied() == 0);
      }
      const TimeFunctions mine = time_functions(*image);
      for (int i = 0; i < 1000; ++i) {
        KernelTimespec before{}, ours{}, after{};
        REQUIRE(kernel.clock_gettime(abi::kClockMonotonic, &before) == 0);
        REQUIRE(mine.clock_gettime(abi::kClockMonotonic, &ours) == 0);
        REQUIRE(kernel.clock_gettime(abi::kClockMonotonic, &after) == 0);
        CHECK(to_ns(before) <= to_ns(ours));
        CHECK(to_ns(ours) <= to_ns(after));
      }
      unsigned our_cpu = ~0u, our_node = ~0u, kernel_cpu = ~0u, kernel_node = ~0u;
      // Pinned, so both reads name the same CPU.
      cpu_set_t allowed, one;
      REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
      CPU_ZERO(&one);
      CPU_SET(sched_getcpu(), &one);
      REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
      CHECK(mine.getcpu(&our_cpu, &our_node, nullptr) == 0);
      CHECK(kernel.getcpu(&kernel_cpu, &kernel_node, nullptr) == 0);
      REQUIRE(sched_setaffinity(0, sizeof allowed, &allowed) == 0);
      CHECK(our_cpu == kernel_cpu);
      CHECK(our_node == kernel_node);
    }
  }
}
