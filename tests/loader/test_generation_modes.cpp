// The generation moving on its own: following the kernel, on a schedule, or
// not at all.
#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "loader_test_support.h"

using namespace loader_test;
using namespace std::chrono_literals;
using vdsoforge::Errc;
using vdsoforge::GenerationMode;
using vdsoforge::LoaderErrc;

namespace {

// The kernel's generation read the way docs/conformance.md describes: a state seeded by
// the kernel's own vDSO getrandom holds it after each call.
class KernelGenerationReader {
 public:
  KernelGenerationReader() : kernel_(open_kernel_getrandom_or_skip()) {
    vdsoforge::Error err;
    states_ = vdsoforge::StateAllocator::create(kernel_->getrandom(), err);
    REQUIRE(states_ != nullptr);
    state_ = static_cast<vdsoforge::abi::VgetrandomState*>(states_->allocate(err));
    REQUIRE(state_ != nullptr);
  }
  ~KernelGenerationReader() { states_->release(state_); }

  uint64_t read() {
    uint8_t byte;
    REQUIRE(kernel_->getrandom()(&byte, 1, 0, state_, sizeof(*state_)) == 1);
    return state_->generation;
  }

 private:
  std::unique_ptr<vdsoforge::LoadedImage> kernel_;
  std::unique_ptr<vdsoforge::StateAllocator> states_;
  vdsoforge::abi::VgetrandomState* state_ = nullptr;
};

vdsoforge::OpenOptions options_for(GenerationMode mode) {
  vdsoforge::OpenOptions options;
  options.mode = mode;
  options.reseed_interval = 50ms;
  options.follow_poll_interval = 50ms;
  return options;
}

// Waits up to `limit` for `condition`, polling.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("by default an image's generation follows the kernel") {
  KernelGenerationReader kernel;
  auto image = open_built_image(vdsoforge::OpenOptions{});
  CHECK(image->data_page()->mode() == GenerationMode::follow_kernel);
  // Compared only when no kernel reseed fell between the two kernel reads;
  // after one, the page may lag by up to a poll interval.
  CHECK(eventually([&] {
    const uint64_t before = kernel.read();
    const uint64_t emulated = image->data_page()->generation();
    return before == kernel.read() && emulated == before;
  }));
}

TEST_CASE("follow_kernel publishes the kernel's reseeds") {
  KernelGenerationReader kernel;
  auto image = open_built_image(options_for(GenerationMode::follow_kernel));
  REQUIRE(image->data_page()->mode() == GenerationMode::follow_kernel);

  // Forcing a reseed needs CAP_SYS_ADMIN; without it this cannot be provoked.
  const int urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  REQUIRE(urandom >= 0);
  const uint64_t before = kernel.read();
  const int status = ioctl(urandom, RNDRESEEDCRNG);
  const int reason = errno;
  close(urandom);
  if (status != 0 && reason == EPERM) vdsoforge_skip("forcing a kernel reseed needs CAP_SYS_ADMIN");
  REQUIRE(status == 0);
  const uint64_t after = kernel.read();
  CHECK(after != before);
  CHECK(eventually([&] { return image->data_page()->generation() == kernel.read(); }));
  CHECK(image->data_page()->generation() != before);
}

TEST_CASE("schedule mode bumps the generation every interval") {
  auto image = open_built_image(options_for(GenerationMode::schedule));
  auto* page = image->data_page();
  REQUIRE(page->mode() == GenerationMode::schedule);
  const uint64_t start = page->generation();
  CHECK(eventually([&] { return page->generation() >= start + 3; }));

  // Back to manual: the worker is gone and the value stays put.
  REQUIRE_FALSE(page->set_mode(GenerationMode::manual));
  const uint64_t frozen = page->generation();
  std::this_thread::sleep_for(200ms);
  CHECK(page->generation() == frozen);
}

TEST_CASE("schedule mode's default interval is the kernel's 60 s reseed interval") {
  const vdsoforge::OpenOptions defaults;
  CHECK(defaults.reseed_interval == 60s);
  CHECK(defaults.mode == GenerationMode::follow_kernel);
  // With the default interval nothing moves in a short while.
  vdsoforge::OpenOptions options;
  options.mode = GenerationMode::schedule;
  auto image = open_built_image(options);
  const uint64_t start = image->data_page()->generation();
  std::this_thread::sleep_for(200ms);
  CHECK(image->data_page()->generation() == start);
}

TEST_CASE("manual mode never moves on its own") {
  auto image = open_built_image(options_for(GenerationMode::manual));
  const uint64_t start = image->data_page()->generation();
  std::this_thread::sleep_for(300ms);
  CHECK(image->data_page()->generation() == start);
}

TEST_CASE("modes can be switched on an open image") {
  KernelGenerationReader kernel;
  auto image = open_built_image(options_for(GenerationMode::manual));
  auto* page = image->data_page();
  page->set_generation(7);
  const auto err = page->set_mode(GenerationMode::follow_kernel);
  INFO(err.message);
  REQUIRE_FALSE(err);
  CHECK(page->mode() == GenerationMode::follow_kernel);
  // Stable kernel reads on both sides, as above: a kernel reseed in between
  // may leave the page a poll interval behind.
  CHECK(eventually([&] {
    const uint64_t before = kernel.read();
    return page->generation() == before && kernel.read() == before;
  }));

  REQUIRE_FALSE(page->set_mode(GenerationMode::schedule));
  CHECK(page->mode() == GenerationMode::schedule);
  const uint64_t scheduled_from = page->generation();
  CHECK(eventually([&] { return page->generation() > scheduled_from; }));
  CHECK(vdsoforge::generation_mode_name(page->mode()) == "schedule");
}

TEST_CASE("intervals that are not positive are refused at open") {
  for (auto interval : {0ms, -5ms}) {
    vdsoforge::Error err;
    auto options = options_for(GenerationMode::schedule);
    options.reseed_interval = interval;
    CHECK(vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options) == nullptr);
    CHECK(err.code == LoaderErrc::invalid_argument);
    CHECK(err.message.find("reseed_interval") != std::string::npos);

    err = {};
    options = options_for(GenerationMode::follow_kernel);
    options.follow_poll_interval = interval;
    CHECK(vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options) == nullptr);
    CHECK(err.code == LoaderErrc::invalid_argument);
    CHECK(err.message.find("follow_poll_interval") != std::string::npos);
  }
}

TEST_CASE("leaving a fast schedule for follow_kernel lands on the kernel's generation") {
  // A schedule worker bumping every millisecond must be stopped before the
  // kernel's generation is published, or its last bump would stick until
  // the kernel next reseeds.  That window is microseconds wide, so this
  // rarely catches the wrong order; it pins the outcome of every switch.
  KernelGenerationReader kernel;
  auto options = options_for(GenerationMode::schedule);
  options.reseed_interval = 1ms;
  auto image = open_built_image(options);
  auto* page = image->data_page();
  for (int round = 0; round < 20; ++round) {
    REQUIRE_FALSE(page->set_mode(GenerationMode::schedule));
    std::this_thread::sleep_for(5ms);
    REQUIRE_FALSE(page->set_mode(GenerationMode::follow_kernel));
    INFO("round " << round);
    CHECK(eventually([&] {
      const uint64_t before = kernel.read();
      return page->generation() == before && kernel.read() == before;
    }));
  }
}
