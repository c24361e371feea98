#include "bounded_seize.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "proc_status.h"

namespace vdsoforge::exec {

namespace {

thread_local sigjmp_buf* abandon_to = nullptr;

void abandon_wait(int) {
  if (sigjmp_buf* target = abandon_to) siglongjmp(*target, 1);
}

// A signal of its own, sent to the calling thread only.
class ThreadTimer {
 public:
  explicit ThreadTimer(int signal) {
    sigevent event{};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = signal;
    event._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    ok_ = timer_create(CLOCK_MONOTONIC, &event, &timer_) == 0;
  }
  ~ThreadTimer() {
    if (ok_) timer_delete(timer_);
  }
  ThreadTimer(const ThreadTimer&) = delete;
  ThreadTimer& operator=(const ThreadTimer&) = delete;
  bool ok() const { return ok_; }
  void arm(std::chrono::nanoseconds after) {
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(after.count() / 1'000'000'000);
    when.it_value.tv_nsec = static_cast<long>(after.count() % 1'000'000'000);
    timer_settime(timer_, 0, &when, nullptr);
  }
  void disarm() {
    const itimerspec never{};
    timer_settime(timer_, 0, &never, nullptr);
  }

 private:
  timer_t timer_{};
  bool ok_ = false;
};

}  // namespace

int seize_within(pid_t tid, unsigned long options, std::chrono::milliseconds limit) {
  // The handler stays: a signal of an expired timer that is still on its
  // way finds abandon_to empty and does nothing.
  const int signal = SIGRTMIN + 2;
  struct sigaction action {};
  action.sa_handler = abandon_wait;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, nullptr);
  ThreadTimer timer(signal);
  int error = 0;
  sigjmp_buf target;
  if (!timer.ok()) {
    // No timer: attach unbounded, as before the limit existed.
    error = ptrace(PTRACE_SEIZE, tid, nullptr, options) == 0 ? 0 : errno;
  } else if (sigsetjmp(target, 1) == 0) {
    abandon_to = &target;
    timer.arm(limit);
    error = ptrace(PTRACE_SEIZE, tid, nullptr, options) == 0 ? 0 : errno;
    abandon_to = nullptr;
    timer.disarm();
  } else {
    abandon_to = nullptr;
    // The attach may have succeeded just before the timer fired.
    error = tracer_of(tid) == getpid() ? 0 : ETIMEDOUT;
  }
  return error;
}

}  // namespace vdsoforge::exec
