#include "periodic_worker.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vdsoforge::detail {

struct PeriodicWorker::Thread {
  std::mutex mutex;
  std::condition_variable wake;
  bool stop_requested = false;
  pid_t process = 0;  // pid that started the thread; a forked child has no such thread
  std::thread thread;
};

PeriodicWorker::PeriodicWorker() = default;
PeriodicWorker::~PeriodicWorker() { stop(); }

void PeriodicWorker::start(std::chrono::milliseconds period, std::function<void()> tick) {
  stop();
  thread_ = std::make_unique<Thread>();
  thread_->process = getpid();
  // Asleep between ticks, so the readers of the page never pay for the
  // worker: they only ever read values its ticks store.
  thread_->thread = std::thread([state = thread_.get(), period, tick = std::move(tick)] {
    std::unique_lock lock(state->mutex);
    while (!state->wake.wait_for(lock, period, [state] { return state->stop_requested; })) {
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void PeriodicWorker::stop() {
  if (!thread_) return;
  if (getpid() != thread_->process) {
    // A forked child inherits the handle, mutex and condition variable but
    // not the thread: joining would wait forever, and the copied mutex and
    // condition variable may record the thread as holder or waiter, so
    // destroying them can block too.  The child abandons all of it on
    // purpose; the parent's thread keeps driving the memory both share.
    static auto* const abandoned = new std::vector<Thread*>;  // reachable, never freed
    abandoned->push_back(thread_.release());
    return;
  }
  {
    std::lock_guard lock(thread_->mutex);
    thread_->stop_requested = true;
  }
  thread_->wake.notify_all();
  thread_->thread.join();
  thread_.reset();
}

}  // namespace vdsoforge::detail
