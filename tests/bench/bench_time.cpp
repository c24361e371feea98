// The time functions, image beside the kernel vDSO: clock_gettime
// (MONOTONIC, REALTIME_COARSE), gettimeofday, time and getcpu, nanoseconds per
// call, measured in alternating rounds so both see the same machine load;
// the best round of each counts.  Run by scripts/bench.sh, or by hand:
//   build/default/tests/bench_time [ROUNDS] [CALLS_PER_ROUND]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "vdsoforge/loader.h"
#include "vdsoforge/vdso_time_abi.h"

namespace {

namespace abi = vdsoforge::abi;
using ClockGettime = int (*)(int, abi::KernelTimespec*);
using Gettimeofday = int (*)(abi::KernelTimeval*, abi::KernelTimezone*);
using Time = long (*)(long*);
using Getcpu = long (*)(unsigned*, unsigned*, void*);

struct Functions {
  ClockGettime clock_gettime;
  Gettimeofday gettimeofday;
  Time time;
  Getcpu getcpu;
};

Functions functions_of(const vdsoforge::LoadedImage& image) {
  return {reinterpret_cast<ClockGettime>(image.symbol("__vdso_clock_gettime")),
          reinterpret_cast<Gettimeofday>(image.symbol("__vdso_gettimeofday")),
          reinterpret_cast<Time>(image.symbol("__vdso_time")),
          reinterpret_cast<Getcpu>(image.symbol("__vdso_getcpu"))};
}

// Nanoseconds per call of one round of `calls` calls.
double per_call(long calls, const std::function<void()>& call) {
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) call();
  const std::chrono::duration<double, std::nano> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const long calls = argc > 2 ? std::atol(argv[2]) : 2'000'000;
  const char* image_path = argc > 3 ? argv[3] : VDSOFORGE_TEST_IMAGE;
  vdsoforge::Error err;
  auto kernel = vdsoforge::LoadedImage::open_kernel(err);
  if (!kernel || !kernel->symbol("__vdso_clock_gettime")) {
    std::fprintf(stderr, "bench_time: no kernel vDSO with the time functions: %s\n",
                 err.message.c_str());
    return 1;
  }
  auto image = vdsoforge::LoadedImage::open_file(image_path, err);
  if (!image || !image->symbol("__vdso_clock_gettime")) {
    std::fprintf(stderr, "bench_time: %s: %s\n", image_path,
                 image ? "exports no __vdso_clock_gettime" : err.message.c_str());
    return 1;
  }
  const Functions k = functions_of(*kernel), m = functions_of(*image);
  abi::KernelTimespec ts{};
  abi::KernelTimeval tv{};
  unsigned cpu = 0, node = 0;
  struct Row {
    const char* name;
    std::function<void()> kernel_call, image_call;
  };
  const Row rows[] = {
      {"clock_gettime(CLOCK_MONOTONIC)", [&] { k.clock_gettime(abi::kClockMonotonic, &ts); },
       [&] { m.clock_gettime(abi::kClockMonotonic, &ts); }},
      {"clock_gettime(CLOCK_REALTIME_COARSE)",
       [&] { k.clock_gettime(abi::kClockRealtimeCoarse, &ts); },
       [&] { m.clock_gettime(abi::kClockRealtimeCoarse, &ts); }},
      {"gettimeofday", [&] { k.gettimeofday(&tv, nullptr); },
       [&] { m.gettimeofday(&tv, nullptr); }},
      {"time", [&] { k.time(nullptr); }, [&] { m.time(nullptr); }},
      {"getcpu", [&] { k.getcpu(&cpu, &node, nullptr); }, [&] { m.getcpu(&cpu, &node, nullptr); }},
  };
  std::printf("| function | kernel_vdso | image | image / kernel |\n| --- | --- | --- | --- |\n");
  for (const Row& row : rows) {
    double best_kernel = 1e30, best_image = 1e30;
    for (int r = 0; r < rounds; ++r) {
      best_kernel = std::min(best_kernel, per_call(calls, row.kernel_call));
      best_image = std::min(best_image, per_call(calls, row.image_call));
    }
    std::printf("| %s | %.2f ns | %.2f ns | %.2f× |\n", row.name, best_kernel, best_image,
                best_image / best_kernel);
  }
  return 0;
}
