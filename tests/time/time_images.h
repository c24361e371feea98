// The images whose time functions the tests/time suite checks (the default
// image and one per kernel profile), opened with the loader, and the kernel
// vDSO's own functions to compare them with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vdsoforge/loader.h"
#include "vdsoforge/vdso_time_abi.h"

namespace time_test {

using ClockGettimeFn = int (*)(int, vdsoforge::abi::KernelTimespec*);
using ClockGetresFn = int (*)(int, vdsoforge::abi::KernelTimespec*);
using GettimeofdayFn = int (*)(vdsoforge::abi::KernelTimeval*, vdsoforge::abi::KernelTimezone*);
using TimeFn = long (*)(long*);
using GetcpuFn = long (*)(unsigned*, unsigned*, void*);

// The five exports of one mapped vDSO (the image's or the kernel's).
struct TimeFunctions {
  ClockGettimeFn clock_gettime = nullptr;
  ClockGetresFn clock_getres = nullptr;
  GettimeofdayFn gettimeofday = nullptr;
  TimeFn time = nullptr;
  GetcpuFn getcpu = nullptr;
};
TimeFunctions time_functions(const vdsoforge::LoadedImage& image);

struct NamedImage {
  std::string name;  // "default", "linux-6.11", ...
  std::string path;
};
// The default image and every profile's image.
std::vector<NamedImage> shipped_images();

// Opens `path` (REQUIREs success) with the given options.
std::unique_ptr<vdsoforge::LoadedImage> open_image(const std::string& path,
                                                   const vdsoforge::OpenOptions& options = {});
// `named` opened once per test program with the default options (time
// data following the kernel), for test cases that only read through it:
// nothing may change its page.  Later calls return the same image.
vdsoforge::LoadedImage& following_image(const NamedImage& named);
// The kernel's vDSO (REQUIREs it and its time functions).
const vdsoforge::LoadedImage& kernel_vdso();

// How far a mirrored coarse clock may trail the kernel's: the follow_kernel
// copy runs every millisecond, but on a loaded machine its thread can wait
// far longer to be scheduled (5 ms was exceeded at a load average of 20).
// The exact equality of the coarse clocks is checked after an explicit sync.
inline constexpr __int128 kCoarseLag = 250'000'000;

// Nanoseconds since the clock's epoch, for ordering.
inline __int128 to_ns(const vdsoforge::abi::KernelTimespec& ts) {
  return static_cast<__int128>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace time_test
