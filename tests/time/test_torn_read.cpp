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
      uint64_t local_reads = 0, local_changes = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        KernelTimespec ts{};
        if (f.clock_gettime(clock, &ts) != 0 || ts.tv_nsec != ts.tv_sec % 1'000'000'000)
          torn.fetch_add(1);
        if (ts.tv_sec < last) backwards.fetch_add(1);
        if (ts.tv_sec != last) ++local_changes;
        last = ts.tv_sec;
        ++local_reads;
      }
      reads.fetch_add(local_reads);
      changes.fetch_add(local_changes);
    };
    std::vector<std::thread> readers;
    readers.emplace_back(reader, abi::kClockMonotonic);
    readers.emplace_back(reader, abi::kClockRealtimeCoarse);
    uint64_t k = 1;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < until) REQUIRE(!page->set_time(update(++k)));
    stop = true;
    for (auto& t : readers) t.join();
    CHECK(torn.load() == 0);
    CHECK(backwards.load() == 0);
    // Not vacuous: the writer wrote many updates and the readers saw them change.
    CHECK(k > 100);
    CHECK(reads.load() > 1000);
    CHECK(changes.load() > 10);
  }
}
