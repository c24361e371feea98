// Fork: the child's MAP_DROPPABLE state is wiped, the child reseeds, and no
// child ever draws what its parent draws.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <set>

#include "state_pool.h"
#include "targets.h"

using namespace conformance;

namespace {

constexpr int kForks = 200;
constexpr size_t kDraw = 32;

struct ChildDraw {
  uint8_t state_at_start[kStateBytes];
  uint8_t output[kDraw];
  long ret;
  uint64_t generation_after;
};

struct ForkTally {
  int forks = 0, wiped = 0, reseeded = 0, distinct = 0;
  std::string failure;
};

ForkTally fork_many(vdsoforge::GetrandomFn fn, uint64_t expected_generation_hint, bool is_kernel) {
  auto pool = droppable_pool(fn);
  uint8_t* state = allocate_state(*pool);
  std::array<uint8_t, kDraw> out;
  REQUIRE(fn(out.data(), kDraw, 0, state, kStateBytes) == long(kDraw));
  uint64_t parent_generation;
  std::memcpy(&parent_generation, state + 128, sizeof parent_generation);
  if (!is_kernel) REQUIRE(parent_generation == expected_generation_hint);

  auto* draws =
      static_cast<ChildDraw*>(mmap(nullptr, sizeof(ChildDraw) * kForks, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  REQUIRE(draws != MAP_FAILED);
  std::set<std::array<uint8_t, kDraw>> seen;
  ForkTally tally;
  for (int i = 0; i < kForks; ++i) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ChildDraw& d = draws[i];
      std::memcpy(d.state_at_start, state, kStateBytes);
      d.ret = fn(d.output, kDraw, 0, state, kStateBytes);
      std::memcpy(&d.generation_after, state + 128, sizeof d.generation_after);
      _exit(0);
    }
    // The parent draws what a child with an unwiped copy would have drawn.
    REQUIRE(fn(out.data(), kDraw, 0, state, kStateBytes) == long(kDraw));
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    const ChildDraw& d = draws[i];
    ++tally.forks;
    bool all_zero = true;
    for (uint8_t b : d.state_at_start) all_zero &= b == 0;
    if (all_zero) ++tally.wiped;
    if (d.ret == long(kDraw) && d.generation_after != 0) ++tally.reseeded;
    std::array<uint8_t, kDraw> child_out;
    std::memcpy(child_out.data(), d.output, kDraw);
    tally.distinct += seen.insert(out).second;
    tally.distinct += seen.insert(child_out).second;
  }
  munmap(draws, sizeof(ChildDraw) * kForks);
  pool->release(state);
  return tally;
}

}  // namespace

TEST_CASE("fork: child state wiped, child reseeds, parent and child never share bytes") {
  Targets& t = targets();
  t.page->set_generation(4242);
  for (auto [name, fn, is_kernel] : {std::tuple{"kernel", t.kernel_getrandom, true},
                                     std::tuple{"image", t.image_getrandom, false}}) {
    const ForkTally tally = fork_many(fn, 4242, is_kernel);
    INFO(name);
    CHECK(tally.forks == kForks);
    CHECK(tally.wiped == kForks);
    CHECK(tally.reseeded == kForks);
    CHECK(tally.distinct == 2 * kForks);
    std::printf(
        "[conformance] fork (%s): %d forks, %d child states read back as zeros, %d "
        "children reseeded, %d parent+child draws all distinct\n",
        name, tally.forks, tally.wiped, tally.reseeded, tally.distinct);
  }
}
