// After fork: states are wiped in the child, so parent and child never serve
// the same bytes, and a child can close images without waiting for threads
// that only exist in its parent.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "loader_test_support.h"

using namespace loader_test;
using namespace std::chrono_literals;

namespace {

// Waits for `child` up to `limit`; kills it and returns -1 if it hangs.
int wait_for_child(pid_t child, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(10ms);
  }
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  return -1;
}

}  // namespace

TEST_CASE("parent and child draw different bytes after fork") {
  for (auto* image : {open_built_image().release(), open_kernel_getrandom_or_skip().release()}) {
    std::unique_ptr<vdsoforge::LoadedImage> owned(image);
    INFO((image->is_kernel() ? "kernel vDSO" : "built image"));
    uint8_t warm[8];
    // The parent's state is seeded and its batch half used before the fork.
    REQUIRE(vdsoforge::getrandom(*image, warm, sizeof(warm), 0) == 8);

    int pipe_ends[2];
    REQUIRE(pipe(pipe_ends) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      uint8_t bytes[32];
      const bool drew = vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0) == 32;
      const bool sent = write(pipe_ends[1], bytes, sizeof(bytes)) == sizeof(bytes);
      _exit(drew && sent ? 0 : 1);
    }
    close(pipe_ends[1]);
    uint8_t from_parent[32], from_child[32] = {};
    REQUIRE(vdsoforge::getrandom(*image, from_parent, sizeof(from_parent), 0) == 32);
    CHECK(read(pipe_ends[0], from_child, sizeof(from_child)) == sizeof(from_child));
    close(pipe_ends[0]);
    CHECK(wait_for_child(child) == 0);
    // Without wipe-on-fork the child would continue the parent's batch and
    // key and produce exactly the parent's bytes.
    CHECK(std::memcmp(from_parent, from_child, sizeof(from_parent)) != 0);
  }
}

TEST_CASE("a forked child closes images whose generation worker runs in the parent") {
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::schedule;
  options.reseed_interval = 1ms;  // the worker is busy, holding its lock often
  auto image = open_built_image(options);
  std::this_thread::sleep_for(20ms);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    uint8_t bytes[16];
    const bool drew = vdsoforge::getrandom(*image, bytes, sizeof(bytes), 0) == 16;
    image.reset();  // must not wait for the parent's thread
    _exit(drew ? 0 : 1);
  }
  CHECK(wait_for_child(child) == 0);
}
