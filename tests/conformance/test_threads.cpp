// Threads: 64 threads with a state each, thousands of calls each, and not one
// 16-byte block of output repeated anywhere.
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "state_pool.h"
#include "targets.h"

using namespace conformance;

namespace {

constexpr int kThreads = 64;
constexpr int kCallsPerThread = 2000;

struct ThreadLog {
  std::vector<uint8_t> bytes;  // every output, 16-byte aligned pieces
  size_t bad_returns = 0;
  size_t bad_states = 0;
};

}  // namespace

TEST_CASE("64 threads, own states, thousands of calls each: no 16-byte block repeats") {
  Targets& t = targets();
  t.page->set_generation(777);
  for (auto [name, fn] : {std::pair{"kernel", t.kernel_getrandom}, {"image", t.image_getrandom}}) {
    auto pool = droppable_pool(fn);
    std::vector<uint8_t*> states;
    for (int i = 0; i < kThreads; ++i) states.push_back(allocate_state(*pool));
    std::vector<ThreadLog> logs(kThreads);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i, fn = fn] {
        while (!go.load()) std::this_thread::yield();
        ThreadLog& log = logs[i];
        log.bytes.reserve(kCallsPerThread * 48);
        for (int call = 0; call < kCallsPerThread; ++call) {
          // 16, 32 or 48 bytes: batch-only calls and refills alike.
          const size_t len = 16 * (1 + (call + i) % 3);
          std::array<uint8_t, 48> out;
          if (fn(out.data(), len, 0, states[i], kStateBytes) != long(len)) ++log.bad_returns;
          if (states[i][137] != 0 || states[i][136] > 96) ++log.bad_states;
          log.bytes.insert(log.bytes.end(), out.begin(), out.begin() + len);
        }
      });
    }
    go = true;
    for (auto& th : threads) th.join();

    std::unordered_set<std::string_view> blocks;
    size_t duplicates = 0, bad_returns = 0, bad_states = 0, total_blocks = 0;
    for (const ThreadLog& log : logs) {
      total_blocks += log.bytes.size() / 16;
      bad_returns += log.bad_returns;
      bad_states += log.bad_states;
      for (size_t off = 0; off + 16 <= log.bytes.size(); off += 16)
        duplicates +=
            !blocks.emplace(reinterpret_cast<const char*>(log.bytes.data() + off), 16).second;
    }
    for (uint8_t* s : states) pool->release(s);
    INFO(name);
    CHECK(bad_returns == 0);
    CHECK(bad_states == 0);
    CHECK(duplicates == 0);
    CHECK(total_blocks > size_t{kThreads} * kCallsPerThread);
    CHECK(blocks.size() == total_blocks);
    std::printf(
        "[conformance] threads (%s): %d threads x %d calls, %zu 16-byte blocks, %zu "
        "repeated\n",
        name, kThreads, kCallsPerThread, blocks.size(), duplicates);
  }
}
