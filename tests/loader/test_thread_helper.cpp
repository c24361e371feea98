// vdsoforge::getrandom(image, ...): a state per thread from the image's pool.
#include <barrier>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

#include "loader_test_support.h"

using namespace loader_test;

namespace {

// Runs `count` threads that each draw 32 bytes while all are alive at once,
// and returns what they drew.
std::vector<std::vector<uint8_t>> draw_from_threads(vdsoforge::LoadedImage& image, int count) {
  std::vector<std::vector<uint8_t>> drawn(static_cast<size_t>(count), std::vector<uint8_t>(32));
  std::vector<long> results(static_cast<size_t>(count), 0);
  std::barrier all_drawn(count);
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      auto& bytes = drawn[static_cast<size_t>(i)];
      results[static_cast<size_t>(i)] = vdsoforge::getrandom(image, bytes.data(), bytes.size(), 0);
      all_drawn.arrive_and_wait();  // hold every state until all threads have one
    });
  }
  for (auto& thread : threads) thread.join();
  for (long result : results) CHECK(result == 32);
  return drawn;
}

}  // namespace

TEST_CASE("many threads draw distinct bytes, and their states go back at exit") {
  auto image = open_built_image();
  const auto drawn = draw_from_threads(*image, 16);
  CHECK(std::set(drawn.begin(), drawn.end()).size() == drawn.size());
  for (const auto& bytes : drawn) CHECK_FALSE(all_zero(bytes));

  const auto* pool = vdsoforge::thread_state_pool(*image);
  REQUIRE(pool != nullptr);
  CHECK(pool->in_use() == 0);
  CHECK(pool->capacity() == 28);

  // A second generation of threads reuses the same states: no new page.
  draw_from_threads(*image, 16);
  CHECK(pool->in_use() == 0);
  CHECK(pool->capacity() == 28);
}

TEST_CASE("threads alive at once each hold their own state") {
  auto image = open_built_image();
  const auto* pool = vdsoforge::thread_state_pool(*image);
  REQUIRE(pool != nullptr);
  std::mutex mutex;
  std::condition_variable changed;
  int drawn = 0;
  bool finish = false;
  int short_draws = 0;  // counted here and checked by the main thread: Catch2 is not thread-safe
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&] {
      uint8_t bytes[8];
      const bool first = vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0) == 8;
      const bool again = vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0) == 8;  // same state
      std::unique_lock lock(mutex);
      short_draws += !first + !again;
      ++drawn;
      changed.notify_all();
      changed.wait(lock, [&] { return finish; });
    });
  }
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return drawn == 30; });
    CHECK(pool->in_use() == 30);
    CHECK(pool->capacity() == 56);  // 30 states need two pages
    finish = true;
  }
  changed.notify_all();
  for (auto& thread : threads) thread.join();
  CHECK(short_draws == 0);
  CHECK(pool->in_use() == 0);
}

TEST_CASE("the calling thread keeps one state per image") {
  auto first = open_built_image();
  auto second = open_built_image();
  uint8_t bytes[8];
  for (int i = 0; i < 10; ++i) {
    CHECK(vdsoforge::getrandom(*first, bytes, sizeof(bytes), 0) == 8);
    CHECK(vdsoforge::getrandom(*second, bytes, sizeof(bytes), 0) == 8);
  }
  CHECK(vdsoforge::thread_state_pool(*first)->in_use() == 1);
  CHECK(vdsoforge::thread_state_pool(*second)->in_use() == 1);
}

TEST_CASE("closing an image while a thread still holds its state is safe") {
  auto image = open_built_image();
  std::mutex mutex;
  std::condition_variable changed;
  enum class Step { start, drew, closed } step = Step::start;
  long after_reopen = 0;
  std::unique_ptr<vdsoforge::LoadedImage> reopened;

  std::thread holder([&] {
    uint8_t bytes[16];
    CHECK(vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0) == 16);
    std::unique_lock lock(mutex);
    step = Step::drew;
    changed.notify_all();
    changed.wait(lock, [&] { return step == Step::closed; });
    // The old image is gone; a new one (perhaps at the same address) must get
    // a fresh state, not the stale one.
    after_reopen = vdsoforge::getrandom(*reopened, bytes, sizeof(bytes), 0);
  });  // exits holding a state of a closed image: must not touch freed memory

  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return step == Step::drew; });
    image.reset();
    reopened = open_built_image();
    step = Step::closed;
  }
  changed.notify_all();
  holder.join();
  CHECK(after_reopen == 16);
  CHECK(vdsoforge::thread_state_pool(*reopened)->in_use() == 0);
}

TEST_CASE("the per-thread helper works on the kernel vDSO too") {
  auto kernel = open_kernel_getrandom_or_skip();
  const auto drawn = draw_from_threads(*kernel, 4);
  CHECK(std::set(drawn.begin(), drawn.end()).size() == 4);
  CHECK(vdsoforge::thread_state_pool(*kernel)->in_use() == 0);
}

TEST_CASE("bad flags reach the syscall's answer through the helper") {
  auto image = open_built_image();
  uint8_t bytes[8];
  CHECK(vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0x80) == -EINVAL);
  CHECK(vdsoforge::getrandom(*image, bytes, 0, 0) == 0);
}

// The helper needs no check for images it did not make: there are none.
// The classes are concrete and only the library constructs them, so no
// caller can hand it a LoadedImage without a state pool.
static_assert(!std::is_polymorphic_v<vdsoforge::LoadedImage>);
static_assert(!std::is_polymorphic_v<vdsoforge::DataPage>);
static_assert(!std::is_polymorphic_v<vdsoforge::StateAllocator>);
static_assert(!std::is_default_constructible_v<vdsoforge::LoadedImage>);
static_assert(!std::is_copy_constructible_v<vdsoforge::LoadedImage>);
