// TimeMode::schedule: a script of time-data changes, each seen by a program
// reading its clocks through the image at the step's time, and the clocks
// going back only where the script sends them back.
//
// The reading thread runs with its clock_gettime system call answering
// EPERM (a seccomp filter on that thread only), so every read tells whether
// the image served it from the data (0) or took the system call (-EPERM,
// which the vDSO function returns as the kernel's does).
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "time_images.h"

using namespace std::chrono_literals;
using vdsoforge::TimeStep;
using vdsoforge::abi::KernelTimespec;
namespace abi = vdsoforge::abi;
namespace change = vdsoforge::time_change;
using namespace time_test;

namespace {

constexpr __int128 kSecond = 1'000'000'000;
constexpr int64_t kNamespaceMonotonicSec = 500;

// The script every image runs; `expect` below says what each prefix of it
// shows.  Steps are far enough apart that a reader sees each state even when
// the worker runs late on a loaded machine.
std::vector<TimeStep> script() {
  constexpr auto gap = 150ms;
  return {
      {1 * gap, change::JumpRealtime{1000s}},
      {2 * gap, change::ForceClockMode{abi::kClockModeNone}},
      {3 * gap, change::ReleaseClockMode{}},
      {4 * gap, change::NamespaceOffset{abi::kClockMonotonic, kNamespaceMonotonicSec, 0}},
      {5 * gap, change::TimeNamespace{true}},
      {6 * gap, change::TimeNamespace{false}},
      {7 * gap, change::JumpRealtime{-3000s}},  // back, as settimeofday() can
  };
}

// What the image shows once `done` steps are applied: served from the data
// or not, and each clock's distance from the kernel's in whole seconds.
struct Expected {
  bool served;
  int64_t realtime_ahead;
  int64_t monotonic_ahead;
};
Expected expect(size_t done) {
  switch (done) {
    case 0:
      return {true, 0, 0};
    case 2:
      return {false, 0, 0};
    case 5:
      return {true, 1000, kNamespaceMonotonicSec};
    case 7:
      return {true, -2000, 0};
    default:  // 1, 3, 4 and 6
      return {true, 1000, 0};
  }
}
// The steps after which a clock may read less than before.
bool realtime_may_go_back(size_t step) { return step == 6; }
bool monotonic_may_go_back(size_t step) { return step == 5; }

struct Sample {
  size_t done_before, started_after;  // steps applied before, begun after the reads
  int realtime_rc, monotonic_rc;
  __int128 realtime, monotonic;                // the image's
  __int128 kernel_realtime, kernel_monotonic;  // the kernel vDSO's, just before
  int kernel_rc;
};

// This thread's clock_gettime system call fails with EPERM from now on.
bool refuse_clock_gettime_on_this_thread() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  // Without SECCOMP_FILTER_FLAG_TSYNC the filter binds the calling thread only.
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// Reads both clocks through the image (and the kernel's vDSO) until the
// schedule is through and a little after, on a thread of its own.
std::vector<Sample> watch(vdsoforge::LoadedImage& image, size_t steps, bool& filtered) {
  std::vector<Sample> samples;
  // Looked up here: the reader thread must not REQUIRE.
  const TimeFunctions f = time_functions(image);
  const TimeFunctions k = time_functions(kernel_vdso());
  std::thread reader([&] {
    filtered = refuse_clock_gettime_on_this_thread();
    if (!filtered) return;
    const vdsoforge::DataPage& page = *image.data_page();
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    std::chrono::steady_clock::time_point finished{};
    while (std::chrono::steady_clock::now() < give_up) {
      Sample s{};
      KernelTimespec ts{};
      s.done_before = page.time_schedule_steps_done();
      s.kernel_rc = k.clock_gettime(abi::kClockRealtime, &ts);
      s.kernel_realtime = to_ns(ts);
      s.kernel_rc |= k.clock_gettime(abi::kClockMonotonic, &ts);
      s.kernel_monotonic = to_ns(ts);
      s.realtime_rc = f.clock_gettime(abi::kClockRealtime, &ts);
      s.realtime = to_ns(ts);
      s.monotonic_rc = f.clock_gettime(abi::kClockMonotonic, &ts);
      s.monotonic = to_ns(ts);
      s.started_after = page.time_schedule_steps_started();
      samples.push_back(s);
      if (s.started_after == steps && finished == std::chrono::steady_clock::time_point{})
        finished = std::chrono::steady_clock::now();
      if (finished != std::chrono::steady_clock::time_point{} &&
          std::chrono::steady_clock::now() - finished > 50ms)
        break;
      std::this_thread::sleep_for(200us);
    }
  });
  reader.join();
  return samples;
}

// Whole seconds from b to a, rounded to the nearest.
int64_t seconds_ahead(__int128 a, __int128 b) {
  const __int128 d = a - b;
  return static_cast<int64_t>((d + (d >= 0 ? kSecond / 2 : -kSecond / 2)) / kSecond);
}

}  // namespace

TEST_CASE("a schedule's every step shows through the image, and no clock goes back unscripted") {
  for (const NamedImage& named : shipped_images()) {
    INFO(named.name);
    auto image = open_image(named.path);
    vdsoforge::DataPage& page = *image->data_page();
    const std::vector<TimeStep> steps = script();
    REQUIRE(!page.set_time_schedule(steps));
    CHECK(page.time_mode() == vdsoforge::TimeMode::schedule);
    bool filtered = false;
    const std::vector<Sample> samples = watch(*image, steps.size(), filtered);
    REQUIRE(filtered);
    REQUIRE(!samples.empty());
    CHECK(page.time_schedule_steps_done() == steps.size());

    std::vector<size_t> seen(steps.size() + 1, 0);
    const Sample* last_served = nullptr;
    for (const Sample& s : samples) {
      REQUIRE(s.kernel_rc == 0);  // the kernel's own vDSO never takes the call here
      if (s.done_before == s.started_after) {
        // A stable sample: exactly the state after `done` steps.
        const Expected e = expect(s.done_before);
        INFO("after " << s.done_before << " steps");
        if (e.served) {
          REQUIRE(s.realtime_rc == 0);
          REQUIRE(s.monotonic_rc == 0);
          CHECK(seconds_ahead(s.realtime, s.kernel_realtime) == e.realtime_ahead);
          CHECK(seconds_ahead(s.monotonic, s.kernel_monotonic) == e.monotonic_ahead);
        } else {
          CHECK(s.realtime_rc == -EPERM);
          CHECK(s.monotonic_rc == -EPERM);
        }
        ++seen[s.done_before];
      }
      if (s.realtime_rc != 0 || s.monotonic_rc != 0) continue;
      if (last_served) {
        // Going back needs a backward step applied between the two reads.
        bool realtime_back_allowed = false, monotonic_back_allowed = false;
        for (size_t step = last_served->done_before; step < s.started_after; ++step) {
          realtime_back_allowed |= realtime_may_go_back(step);
          monotonic_back_allowed |= monotonic_may_go_back(step);
        }
        INFO("steps " << last_served->done_before << ".." << s.started_after);
        if (!realtime_back_allowed) CHECK(s.realtime >= last_served->realtime);
        if (!monotonic_back_allowed) CHECK(s.monotonic >= last_served->monotonic);
      }
      last_served = &s;
    }
    for (size_t done = 0; done <= steps.size(); ++done) {
      INFO("state after " << done << " steps");
      CHECK(seen[done] > 0);
    }
    // The backward jumps did happen: the last served read is behind the first.
    CHECK(seconds_ahead(samples.back().realtime, samples.back().kernel_realtime) == -2000);

    // Leaving the schedule drops its forced clock mode, keeps its offset.
    REQUIRE(!page.set_time_mode(vdsoforge::TimeMode::follow_kernel));
    CHECK(page.time_schedule_steps_done() == 0);
    CHECK(image->data_page()->time()->clocks[abi::kCsHresCoarse].clock_mode != abi::kClockModeNone);
  }
}

TEST_CASE("a schedule that would fail half-way is refused before it starts, with the reason") {
  auto image = open_image(VDSOFORGE_TEST_IMAGE);
  vdsoforge::DataPage& page = *image->data_page();
  const auto refused = [&](std::vector<TimeStep> steps, vdsoforge::LoaderErrc code,
                           const std::string& reason) {
    const vdsoforge::Error err = page.set_time_schedule(std::move(steps));
    INFO(err.message);
    CHECK(err.code == code);
    CHECK(err.message.find(reason) != std::string::npos);
    CHECK(page.time_mode() == vdsoforge::TimeMode::follow_kernel);
  };
  refused({{-1ms, change::ReleaseClockMode{}}}, vdsoforge::LoaderErrc::invalid_argument,
          "step 0 is due at -1 ms");
  refused({{20ms, change::ReleaseClockMode{}}, {10ms, change::ReleaseClockMode{}}},
          vdsoforge::LoaderErrc::invalid_argument, "step 1 is due at 10 ms, before step 0 (20 ms)");
  refused({{0ms, change::NamespaceOffset{12, 0, 0}}}, vdsoforge::LoaderErrc::invalid_argument,
          "clock 12 is no vDSO clock id");
  refused({{0ms, change::NamespaceOffset{1, 0, 1'000'000'000}}},
          vdsoforge::LoaderErrc::invalid_argument, "nsec 1000000000 is not below one second");

  const vdsoforge::Error direct = page.set_time_mode(vdsoforge::TimeMode::schedule);
  CHECK(direct.code == vdsoforge::LoaderErrc::invalid_argument);
  CHECK(direct.message.find("set_time_schedule") != std::string::npos);

  vdsoforge::OpenOptions options;
  options.time_mode = vdsoforge::TimeMode::schedule;
  vdsoforge::Error err;
  CHECK(!vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options));
  CHECK(err.code == vdsoforge::LoaderErrc::invalid_argument);
  CHECK(err.message.find("time_mode cannot be schedule") != std::string::npos);

  // Steps due at 0 ms are on the page when the call returns.
  REQUIRE(!page.set_time_schedule(
      {{0ms, change::ForceClockMode{abi::kClockModeNone}}, {0ms, change::JumpRealtime{5s}}}));
  CHECK(page.time_schedule_steps_started() == 2);
  CHECK(page.time_schedule_steps_done() == 2);
  CHECK(page.time()->clocks[abi::kCsHresCoarse].clock_mode == abi::kClockModeNone);
  CHECK(page.time()->clocks[abi::kCsRaw].clock_mode == abi::kClockModeNone);

  // An empty schedule is a follow_kernel that says so; its count stays 0.
  REQUIRE(!page.set_time_schedule({}));
  CHECK(page.time_mode() == vdsoforge::TimeMode::schedule);
  CHECK(page.time_schedule_steps_done() == 0);
  CHECK(vdsoforge::time_mode_name(page.time_mode()) == "schedule");
}
