// The loader's emulated time data, written by hand (manual mode) or
// mirrored and shifted: the image reads exactly the fields each layout puts
// where the kernel would, computes as the kernel computes, and takes the
// system call in every clock mode it does not serve.
#include <x86intrin.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>

#include "image_mutations.h"
#include "time_images.h"
#include "tool_runner.h"

using vdsoforge::TimeSnapshot;
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

std::unique_ptr<vdsoforge::LoadedImage> open_manual(const std::string& path) {
  vdsoforge::OpenOptions options;
  options.time_mode = vdsoforge::TimeMode::manual;
  return open_image(path, options);
}

// Time data whose every clock reads as a fixed value: rate 0, so the TSC
// does not matter, base time {1000 + id, 500 + id} for each clock id.
TimeSnapshot frozen_snapshot() {
  TimeSnapshot s{};
  for (abi::VdsoClock& c : s.clocks) {
    c.clock_mode = abi::kClockModeTsc;
    c.mask = ~uint64_t{0};
    c.max_cycles = ~uint64_t{0};
    c.mult = 0;
    c.shift = 0;
    for (unsigned id = 0; id < abi::kVdsoBases; ++id) c.basetime[id] = {1000 + id, 500 + id};
  }
  s.tail = {-60, 1, 7, 0};
  return s;
}

uint64_t rdtsc_now() {
  unsigned aux;
  return __rdtscp(&aux);
}

}  // namespace

TEST_CASE("the image reads each field where its layout puts it") {
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    auto image = open_manual(named.path);
    REQUIRE(image->data_page()->time_mode() == vdsoforge::TimeMode::manual);
    REQUIRE(!image->data_page()->set_time(frozen_snapshot()));
    const TimeFunctions f = time_functions(*image);
    for (int id : kServedClocks) {
      INFO("clock " << id);
      KernelTimespec ts{};
      REQUIRE(f.clock_gettime(id, &ts) == 0);
      CHECK(ts.tv_sec == 1000 + id);
      CHECK(ts.tv_nsec == 500 + id);
    }
    KernelTimeval tv{};
    KernelTimezone tz{};
    REQUIRE(f.gettimeofday(&tv, &tz) == 0);
    CHECK(tv.tv_sec == 1000);
    CHECK(tv.tv_usec == 0);
    CHECK(tz.tz_minuteswest == -60);
    CHECK(tz.tz_dsttime == 1);
    long stored = 0;
    CHECK(f.time(&stored) == 1000);
    CHECK(stored == 1000);
    KernelTimespec res{};
    REQUIRE(f.clock_getres(abi::kClockMonotonic, &res) == 0);
    CHECK(res.tv_nsec == 7);
    REQUIRE(f.clock_getres(abi::kClockMonotonicRaw, &res) == 0);
    CHECK(res.tv_nsec == 7);
    // What the loader reads back is what it wrote, seq even.
    const auto back = image->data_page()->time();
    REQUIRE(back);
    CHECK(back->clocks[0].basetime[abi::kClockTai].sec == 1011);
    CHECK(back->clocks[0].seq % 2 == 0);
    CHECK(back->clocks[0].seq > 0);
  }
}

TEST_CASE("the hres clocks advance at mult/shift from cycle_last, as the kernel computes") {
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    auto image = open_manual(named.path);
    REQUIRE(!image->data_page()->sync_time_with_kernel());
    TimeSnapshot s = *image->data_page()->time();
    abi::VdsoClock& c = s.clocks[abi::kCsHresCoarse];
    REQUIRE(c.clock_mode == abi::kClockModeTsc);  // this machine's kernel uses the TSC
    c.shift = 20;
    c.mult = 3u << 20;  // 3 ns per cycle, exactly
    c.max_cycles = ~uint64_t{0} >> 8;
    c.basetime[abi::kClockMonotonic] = {5000, uint64_t{123} << 20};
    const TimeFunctions f = time_functions(*image);

    c.cycle_last = rdtsc_now();
    REQUIRE(!image->data_page()->set_time(s));
    const uint64_t before = rdtsc_now();
    KernelTimespec ts{};
    REQUIRE(f.clock_gettime(abi::kClockMonotonic, &ts) == 0);
    const uint64_t after = rdtsc_now();
    const __int128 low = 5000 * __int128{1'000'000'000} + 123 + 3 * __int128(before - c.cycle_last);
    const __int128 high = 5000 * __int128{1'000'000'000} + 123 + 3 * __int128(after - c.cycle_last);
    CHECK(to_ns(ts) >= low);
    CHECK(to_ns(ts) <= high);

    SECTION("a delta above max_cycles takes the 128-bit product") {
      // delta * mult overflows 64 bits: 2^44 cycles * 3 * 2^20.
      c.max_cycles = 1;
      c.cycle_last = rdtsc_now() - (uint64_t{1} << 44);
      REQUIRE(!image->data_page()->set_time(s));
      const uint64_t t0 = rdtsc_now();
      REQUIRE(f.clock_gettime(abi::kClockMonotonic, &ts) == 0);
      const uint64_t t1 = rdtsc_now();
      const __int128 base = 5000 * __int128{1'000'000'000} + 123;
      CHECK(to_ns(ts) >= base + 3 * __int128(t0 - c.cycle_last));
      CHECK(to_ns(ts) <= base + 3 * __int128(t1 - c.cycle_last));
    }
    SECTION("a TSC behind cycle_last counts as no time (negative motion)") {
      c.max_cycles = 1000;
      c.cycle_last = rdtsc_now() + (uint64_t{1} << 40);
      REQUIRE(!image->data_page()->set_time(s));
      REQUIRE(f.clock_gettime(abi::kClockMonotonic, &ts) == 0);
      CHECK(ts.tv_sec == 5000);
      CHECK(ts.tv_nsec == 123);
    }
  }
}

TEST_CASE("every clock mode but TSC sends the clocks to the system call") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    auto image = open_manual(named.path);
    const TimeFunctions f = time_functions(*image);
    for (int32_t mode : {abi::kClockModeNone, abi::kClockModePvclock, abi::kClockModeHvclock, 42}) {
      INFO(named.name << ", clock mode " << mode);
      REQUIRE(!image->data_page()->set_time(frozen_snapshot()));
      REQUIRE(!image->data_page()->set_clock_mode(mode));
      for (int id : {abi::kClockRealtime, abi::kClockMonotonic, abi::kClockMonotonicRaw,
                     abi::kClockBoottime, abi::kClockTai}) {
        INFO("clock " << id);
        KernelTimespec before{}, ours{}, after{};
        REQUIRE(kernel.clock_gettime(id, &before) == 0);
        REQUIRE(f.clock_gettime(id, &ours) == 0);
        REQUIRE(kernel.clock_gettime(id, &after) == 0);
        CHECK(to_ns(before) <= to_ns(ours));  // the kernel's clock, not the frozen 1000 s
        CHECK(to_ns(ours) <= to_ns(after));
      }
      KernelTimeval tv{};
      KernelTimezone tz{};
      REQUIRE(f.gettimeofday(&tv, &tz) == 0);
      CHECK(tv.tv_sec > 1000);
      // The coarse clocks and time() need no counter: they read the stored
      // values in every mode, as the kernel's do.
      KernelTimespec coarse{};
      REQUIRE(f.clock_gettime(abi::kClockMonotonicCoarse, &coarse) == 0);
      CHECK(coarse.tv_sec == 1000 + abi::kClockMonotonicCoarse);
      CHECK(f.time(nullptr) == 1000);
    }
  }
}

TEST_CASE("a realtime offset shifts REALTIME, its coarse twin, TAI and time(), nothing else") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  constexpr int64_t kShift = 3600;
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    auto image = open_image(named.path);  // follow_kernel
    REQUIRE(!image->data_page()->set_realtime_offset(std::chrono::seconds(kShift)));
    REQUIRE(!image->data_page()->sync_time_with_kernel());
    const TimeFunctions f = time_functions(*image);
    for (int id : kServedClocks) {
      INFO("clock " << id);
      const bool shifted =
          id == abi::kClockRealtime || id == abi::kClockRealtimeCoarse || id == abi::kClockTai;
      const bool coarse = id == abi::kClockRealtimeCoarse || id == abi::kClockMonotonicCoarse;
      KernelTimespec before{}, ours{}, after{};
      REQUIRE(kernel.clock_gettime(id, &before) == 0);
      REQUIRE(f.clock_gettime(id, &ours) == 0);
      REQUIRE(kernel.clock_gettime(id, &after) == 0);
      const __int128 shift = shifted ? kShift * __int128{1'000'000'000} : 0;
      const __int128 slack = coarse ? kCoarseLag : 0;
      CHECK(to_ns(before) + shift - slack <= to_ns(ours));
      CHECK(to_ns(ours) <= to_ns(after) + shift);
    }
    const long before = kernel.time(nullptr);
    const long ours = f.time(nullptr);
    const long after = kernel.time(nullptr);
    CHECK(before - 1 + kShift <= ours);  // the mirrored seconds may trail (kCoarseLag)
    CHECK(ours <= after + kShift);
  }
}

TEST_CASE("inside an emulated time namespace the clocks carry its offsets") {
  const TimeFunctions kernel = time_functions(kernel_vdso());
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    vdsoforge::OpenOptions options;
    options.time_namespace = true;
    auto image = open_image(named.path, options);
    REQUIRE(image->data_page()->in_time_namespace());
    auto* page = image->data_page();
    const int64_t kMono = 1000, kBoot = 2000;
    for (int id : {abi::kClockMonotonic, abi::kClockMonotonicCoarse, abi::kClockMonotonicRaw})
      REQUIRE(!page->set_time_namespace_offset(id, kMono, 0));
    REQUIRE(!page->set_time_namespace_offset(abi::kClockBoottime, kBoot, 999'999'999));
    CHECK(page->set_time_namespace_offset(abi::kClockBoottime, 0, 1'000'000'000).code ==
          vdsoforge::LoaderErrc::invalid_argument);
    REQUIRE(!page->sync_time_with_kernel());
    const TimeFunctions f = time_functions(*image);
    for (int id : kServedClocks) {
      INFO("clock " << id);
      __int128 offset = 0;
      if (id == abi::kClockMonotonic || id == abi::kClockMonotonicCoarse ||
          id == abi::kClockMonotonicRaw)
        offset = kMono * __int128{1'000'000'000};
      if (id == abi::kClockBoottime) offset = kBoot * __int128{1'000'000'000} + 999'999'999;
      const bool coarse = id == abi::kClockRealtimeCoarse || id == abi::kClockMonotonicCoarse;
      const __int128 slack = coarse ? kCoarseLag : 0;
      KernelTimespec before{}, ours{}, after{};
      REQUIRE(kernel.clock_gettime(id, &before) == 0);
      REQUIRE(f.clock_gettime(id, &ours) == 0);
      REQUIRE(kernel.clock_gettime(id, &after) == 0);
      CHECK(ours.tv_nsec < 1'000'000'000);
      CHECK(to_ns(before) + offset - slack <= to_ns(ours));
      CHECK(to_ns(ours) <= to_ns(after) + offset);
    }
    // time(), the timezone and the resolution come from the real page, now
    // at the timens slot.
    const long t = f.time(nullptr);
    CHECK(t >= kernel.time(nullptr) - 1);
    CHECK(t <= kernel.time(nullptr));
    KernelTimespec res{}, kernel_res{};
    REQUIRE(f.clock_getres(abi::kClockMonotonic, &res) == 0);
    REQUIRE(kernel.clock_getres(abi::kClockMonotonic, &kernel_res) == 0);
    CHECK(res.tv_nsec == kernel_res.tv_nsec);
    // Leaving the namespace drops the offsets.
    REQUIRE(!page->set_time_namespace(false));
    KernelTimespec before{}, ours{}, after{};
    REQUIRE(kernel.clock_gettime(abi::kClockMonotonic, &before) == 0);
    REQUIRE(f.clock_gettime(abi::kClockMonotonic, &ours) == 0);
    REQUIRE(kernel.clock_gettime(abi::kClockMonotonic, &after) == 0);
    CHECK(to_ns(before) <= to_ns(ours));
    CHECK(to_ns(ours) <= to_ns(after));
  }
}

TEST_CASE("time data options and calls refuse bad input with a reason") {
  vdsoforge::OpenOptions options;
  options.time_follow_interval = std::chrono::milliseconds(0);
  vdsoforge::Error err;
  CHECK(!vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options));
  CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
  CHECK_THAT(err.message, Catch::Contains("time_follow_interval"));
  auto image = open_manual(VDSOFORGE_TEST_IMAGE);
  CHECK(image->data_page()->set_time_namespace_offset(-1, 0, 0).code ==
        vdsoforge::LoaderErrc::invalid_argument);
  CHECK(image->data_page()->set_time_namespace_offset(12, 0, 0).code ==
        vdsoforge::LoaderErrc::invalid_argument);
}

// The loader decides from .dynsym's names, not from a hash look-up, whether
// an image carries the time functions: a damaged image opened for study
// (`exec --allow-damaged`) keeps a live clock for the programs that bind its
// functions regardless (docs/loader.md, "The emulated time data").
TEST_CASE("an image whose look-ups are damaged still gets emulated time data") {
  test_support::TempDir dir;
  const std::vector<std::pair<const char*, std::function<void(test_support::Bytes&)>>> damages = {
      {"bloom-zeroed", test_support::corrupt_gnu_hash},
      {"clock-gettime-chain",
       [](test_support::Bytes& b) {
         test_support::corrupt_gnu_hash_chain(b, "__vdso_clock_gettime");
       }},
      {"clock-gettime-value-zero",
       [](test_support::Bytes& b) { test_support::zero_symbol_value(b, "__vdso_clock_gettime"); }}};
  for (const auto& [name, damage] : damages) {
    test_support::Bytes bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
    damage(bytes);
    const std::string path = dir.path(std::string(name) + ".so").string();
    test_support::write_file(path, bytes);
    vdsoforge::OpenOptions options;
    options.time_mode = vdsoforge::TimeMode::manual;
    options.accept_rule_violations = true;
    auto image = open_image(path, options);
    INFO(name);
    CHECK(image->symbol("__vdso_clock_gettime") == nullptr);  // the look-up misses it
    CHECK(image->data_page()->has_time_data());
    CHECK(!image->data_page()->set_time(frozen_snapshot()));
  }
}

TEST_CASE("a getrandom-only image is one call away: no time exports, no time data") {
  auto image = open_image(VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE);
  CHECK(image->getrandom() != nullptr);
  CHECK(image->symbol("__vdso_clock_gettime") == nullptr);
  CHECK(image->symbol("getcpu") == nullptr);
  CHECK(image->cpu_patches_applied() == 0);
  auto* page = image->data_page();
  CHECK_FALSE(page->has_time_data());
  CHECK_FALSE(page->time().has_value());
  CHECK(page->set_time_mode(vdsoforge::TimeMode::follow_kernel).code ==
        vdsoforge::LoaderErrc::not_supported);
  CHECK(page->set_realtime_offset(std::chrono::seconds(1)).code ==
        vdsoforge::LoaderErrc::not_supported);
  // Against the running kernel its ABI is a compatible subset: the ten time
  // exports are listed as not provided.
  const auto result =
      test_support::run_tool({"abi", "--json", VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("\"name\": \"__vdso_clock_gettime\"") != std::string::npos);
  size_t listed = 0;
  for (size_t at = result.out.find("\"not_provided\""); at != std::string::npos;
       at = result.out.find("\"binding\"", at + 1))
    ++listed;
  CHECK(listed == 1 + 10);  // the key itself, then one entry per missing export
}
