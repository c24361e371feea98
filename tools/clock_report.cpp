#include "clock_report.h"

#include <cinttypes>
#include <string>

#include "vdsoforge/vdso_time_abi.h"

namespace vdsoforge::tools {
namespace {

using ClockGettime = int (*)(int, abi::KernelTimespec*);
using Time = long (*)(long*);
using Getcpu = long (*)(unsigned*, unsigned*, void*);

struct NamedClock {
  int id;
  const char* name;
};
constexpr NamedClock kClocks[] = {
    {abi::kClockRealtime, "CLOCK_REALTIME"},
    {abi::kClockMonotonic, "CLOCK_MONOTONIC"},
    {abi::kClockMonotonicRaw, "CLOCK_MONOTONIC_RAW"},
    {abi::kClockBoottime, "CLOCK_BOOTTIME"},
    {abi::kClockTai, "CLOCK_TAI"},
    {abi::kClockRealtimeCoarse, "CLOCK_REALTIME_COARSE"},
    {abi::kClockMonotonicCoarse, "CLOCK_MONOTONIC_COARSE"},
};

std::string format(const abi::KernelTimespec& ts) {
  char text[48];
  std::snprintf(text, sizeof text, "%" PRId64 ".%09" PRId64, ts.tv_sec, ts.tv_nsec);
  return text;
}

const char* mode_name(int32_t mode) {
  switch (mode) {
    case abi::kClockModeNone:
      return "NONE (the image takes the system calls)";
    case abi::kClockModeTsc:
      return "TSC";
    case abi::kClockModePvclock:
      return "PVCLOCK (system call)";
    case abi::kClockModeHvclock:
      return "HVCLOCK (system call)";
    default:
      return "unknown (system call)";
  }
}

}  // namespace

void print_clocks(FILE* out, LoadedImage& image) {
  const auto gettime = reinterpret_cast<ClockGettime>(image.symbol("__vdso_clock_gettime"));
  if (!gettime) return;
  Error err;
  auto kernel = LoadedImage::open_kernel(err);
  const auto kernel_gettime =
      kernel ? reinterpret_cast<ClockGettime>(kernel->symbol("__vdso_clock_gettime")) : nullptr;
  std::fprintf(out, "clocks (image%s)\n", kernel_gettime ? " | kernel vDSO, read right after" : "");
  if (const DataPage* page = image.data_page(); page && page->has_time_data()) {
    const auto snapshot = page->time();
    std::fprintf(out, "  time data  mode %s, clock mode %s\n",
                 std::string(time_mode_name(page->time_mode())).c_str(),
                 mode_name(snapshot->clocks[abi::kCsHresCoarse].clock_mode));
  }
  for (const NamedClock& clock : kClocks) {
    abi::KernelTimespec ours{}, theirs{};
    const int result = gettime(clock.id, &ours);
    if (!kernel_gettime) {
      std::fprintf(
          out, "  %-22s %s\n", clock.name,
          result == 0 ? format(ours).c_str() : ("error " + std::to_string(result)).c_str());
      continue;
    }
    kernel_gettime(clock.id, &theirs);
    const __int128 delta = (static_cast<__int128>(theirs.tv_sec) - ours.tv_sec) * 1'000'000'000 +
                           (theirs.tv_nsec - ours.tv_nsec);
    std::fprintf(out, "  %-22s %s | %s (kernel %+" PRId64 " ns)\n", clock.name,
                 result == 0 ? format(ours).c_str() : ("error " + std::to_string(result)).c_str(),
                 format(theirs).c_str(), static_cast<int64_t>(delta));
  }
  if (const auto time = reinterpret_cast<Time>(image.symbol("__vdso_time")))
    std::fprintf(out, "  %-22s %ld\n", "time()", time(nullptr));
  if (const auto getcpu = reinterpret_cast<Getcpu>(image.symbol("__vdso_getcpu"))) {
    unsigned cpu = 0, node = 0;
    getcpu(&cpu, &node, nullptr);
    std::fprintf(out, "  %-22s cpu %u, node %u\n", "getcpu()", cpu, node);
  }
}

}  // namespace vdsoforge::tools
