// Signals: a handler calling getrandom on the state the interrupted code is
// using must take the syscall (in_use) and leave the state consistent.
//
// Runs in a child whose seccomp filter answers 24-byte getrandom calls (the
// handler's length, used nowhere else) with a marker errno, so the handler
// can tell a syscall from the fast path.  A POSIX timer fires SIGUSR1 at the
// calling thread every 20 microseconds.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "child_process.h"
#include "child_report.h"
#include "getrandom_interceptor.h"
#include "model_checked.h"
#include "reference_model.h"
#include "targets.h"

using namespace conformance;

namespace {

constexpr int kMarker = 77;
constexpr size_t kHandlerLen = 24;

vdsoforge::GetrandomFn g_fn = nullptr;
uint8_t* g_state = nullptr;
std::atomic<long> g_handled{0}, g_hit_in_use{0}, g_fast{0}, g_wrong{0};

void on_usr1(int) {
  const int saved_errno = errno;
  // Nothing else runs on this thread between this read and the call, so this
  // is exactly what the vDSO code will see.
  const bool busy = __atomic_load_n(&g_state[137], __ATOMIC_RELAXED) != 0;
  uint8_t out[kHandlerLen];
  const long ret = g_fn(out, kHandlerLen, 0, g_state, kStateBytes);
  if (busy)
    (ret == -kMarker ? g_hit_in_use : g_wrong).fetch_add(1);
  else
    (ret == long(kHandlerLen) ? g_fast : g_wrong).fetch_add(1);
  g_handled.fetch_add(1);
  errno = saved_errno;
}

struct Storm {
  long calls = 0;
};

// Serves requests on one state while a second thread sends signals; checks
// the state after each call.  Returns false on an inconsistency.
bool storm(vdsoforge::GetrandomFn fn, uint8_t* state, Storm& tally, ChildReport& r,
           const char* name) {
  g_fn = fn;
  g_state = state;
  g_handled = g_hit_in_use = g_fast = g_wrong = 0;
  // A POSIX timer aimed at this thread: a steady, high signal rate that does
  // not depend on a second thread getting a CPU on a busy machine.
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = SIGUSR1;
  event._sigev_un._tid = gettid();
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return r.fail("timer_create"), false;
  itimerspec every{{0, 20'000}, {0, 20'000}};  // 50,000 per second
  timer_settime(timer, 0, &every, nullptr);
  std::vector<uint8_t> out(1 << 16);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  long calls = 0;
  while (std::chrono::steady_clock::now() < deadline &&
         (g_hit_in_use.load() < 1000 || g_handled.load() < 10000)) {
    // Large requests keep the state busy long enough for signals to land inside.
    const size_t len = calls % 4 == 0 ? 1 + calls % 7 : 1024 + (calls * 977) % 60000;
    const long ret = fn(out.data(), len, 0, state, kStateBytes);
    ++calls;
    // A handler may run right after the call and legitimately move the state
    // on, so look at it with the signal blocked.
    StateBytes seen;
    pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
    std::memcpy(seen.data(), state, kStateBytes);
    pthread_sigmask(SIG_UNBLOCK, &usr1, nullptr);
    if (ret != long(len)) r.fail(std::string(name) + ": call returned " + std::to_string(ret));
    if (state_in_use(seen)) r.fail(std::string(name) + ": in_use left set");
    if (state_pos(seen) > 96) r.fail(std::string(name) + ": pos out of range");
    for (size_t b = 0; b < state_pos(seen); ++b)
      if (seen[b] != 0) r.fail(std::string(name) + ": served batch byte not zero");
    if (r.failed()) break;
  }
  timer_delete(timer);
  tally.calls = calls;
  return !r.failed();
}

}  // namespace

TEST_CASE("signal storm: a re-entrant getrandom on the busy state takes the syscall") {
  Targets& t = targets();
  require_model_matches_kernel(0x5167a15);
  const StateBytes seeded = kernel_seeded_state();
  ChildReport report;
  const ChildStatus status = run_in_child(report, [&](ChildReport& r) {
    if (std::string e = install_getrandom_errno_filter(kMarker, kHandlerLen); !e.empty())
      return r.fail(e), false;
    struct sigaction action {};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, nullptr);
    int slot = 0;
    for (auto [name, fn] :
         {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
      StateSlot state;
      std::memcpy(state.bytes, seeded.data(), kStateBytes);
      t.page->set_generation(state_generation(seeded));
      Storm tally;
      if (!storm(fn, state.bytes, tally, r, name)) return false;
      r.check(g_wrong.load() == 0, std::string(name) + ": " + std::to_string(g_wrong.load()) +
                                       " handler calls took the wrong path");
      r.check(g_hit_in_use.load() > 0, std::string(name) + ": no signal landed inside a call");
      r.counts[slot++] = tally.calls;
      r.counts[slot++] = g_handled.load();
      r.counts[slot++] = g_hit_in_use.load();
      // The state must still be a good state: the image and the model (on
      // the same data page generation) agree on what comes next.
      if (std::string_view(name) == "image") {
        VdsoRngData page{state_generation(seeded), 1};
        StateBytes now;
        std::memcpy(now.data(), state.bytes, kStateBytes);
        for (size_t len : {1, 50, 96, 200, 5000}) {
          const CallOutcome a =
              run_call([&](void* b, size_t l, unsigned f, void* s,
                           size_t o) { return reference_vgetrandom(page, b, l, f, s, o); },
                       now, len, 0);
          const CallOutcome b = run_call(as_impl(fn), now, len, 0);
          r.check(compare_outcomes(a, b).empty(),
                  "image after the storm: " + compare_outcomes(a, b));
          now = a.state;
        }
      }
    }
    return !r.failed();
  });
  INFO(report.failure);
  REQUIRE(status.ok);
  REQUIRE_FALSE(report.failed());
  std::printf(
      "[conformance] signals (kernel): %ld calls, %ld handler calls, %ld hit the busy state "
      "and took the syscall, none wrong\n",
      report.counts[0], report.counts[1], report.counts[2]);
  std::printf(
      "[conformance] signals (image): %ld calls, %ld handler calls, %ld hit the busy state "
      "and took the syscall, none wrong\n",
      report.counts[3], report.counts[4], report.counts[5]);
}
