// A writer thread rewrites the emulated time data as fast as it can while
// reader threads call the image: every value a reader gets must be one the
// writer wrote whole (seconds and nanoseconds of the same update), and each
// reader's clock never goes back.  Run under ThreadSanitizer too (the tsan
// preset): the loader's writer side must be free of data races.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "time_images.h"

using vdsoforge::TimeSnapshot;
using vdsoforge::abi::KernelTimespec;
namespace abi = vdsoforge::abi;
using namespace time_test;

namespace {

// Update k: every clock reads {k, k} (rate 0, so the counter does not matter).
TimeSnapshot update(uint64_t k) {
  TimeSnapshot s{};
  for (abi::VdsoClock& c : s.clocks) {
    c.clock_mode = abi::kClockModeTsc;
    c.mask = ~uint64_t{0};
    c.max_cycles = ~uint64_t{0};
    for (abi::VdsoTimestamp& b : c.basetime) b = {k, k % 1'000'000'000};
  }
  s.tail.hrtimer_res = 1;
  return s;
}

}  // namespace

TEST_CASE("readers never see a half-written update") {
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    vdsoforge::OpenOptions options;
    options.time_mode = vdsoforge::TimeMode::manual;
    auto image = open_image(named.path, options);
    auto* page = image->data_page();
    REQUIRE(!page->set_time(update(1)));
    const TimeFunctions f = time_functions(*image);

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> torn{0}, backwards{0}, reads{0}, changes{0};
    auto reader = [&](int clock) {
      int64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        KernelTimespec ts{};
        if (f.clock_gettime(clock, &ts) != 0 || ts.tv_nsec != ts.tv_sec % 1'000'000'000)
          torn.fetch_add(1);
        if (ts.tv_sec < last) backwards.fetch_add(1);
        if (ts.tv_sec != last) changes.fetch_add(1);
        last = ts.tv_sec;
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    };
    std::vector<std::thread> readers;
    readers.emplace_back(reader, abi::kClockMonotonic);
    readers.emplace_back(reader, abi::kClockRealtimeCoarse);
    // At least 300 ms, and on until the readers have seen the data change
    // a few times (a loaded machine may starve them; at most 20 s).
    uint64_t k = 1;
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < start + std::chrono::milliseconds(300) ||
           (changes.load() < 2 * readers.size() + 10 &&
            std::chrono::steady_clock::now() < start + std::chrono::seconds(20)))
      REQUIRE(!page->set_time(update(++k)));
    stop = true;
    for (auto& t : readers) t.join();
    CHECK(torn.load() == 0);
    CHECK(backwards.load() == 0);
    // Not vacuous: the writer wrote many updates and the readers saw them change.
    CHECK(k > 100);
    CHECK(reads.load() > 1000);
    CHECK(changes.load() >= 2 * readers.size() + 10);
  }
}
