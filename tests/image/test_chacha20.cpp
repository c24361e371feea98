// The image's block routine against libsodium's crypto_stream_chacha20, the
// same (DJB, 64-bit counter, zero nonce) variant written independently.
#include <sodium.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "chacha20.h"
#include "skip.h"

namespace {

using BlockFn = void (*)(uint8_t*, const uint8_t*, uint32_t*, size_t);

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2"); }
bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

// Every routine this CPU can run; each test below holds for all of them.
// (On a CPU without AVX2/AVX-512 the dedicated cases at the end say SKIP.)
struct Routine {
  const char* name;
  BlockFn fn;
};
Routine routine_under_test() {
  static const bool avx2 = cpu_has_avx2();
  static const bool avx512 = cpu_has_avx512();
  const Routine sse2{"sse2", vdsoforge_chacha20_blocks_sse2};
  const Routine ymm{"avx2", vdsoforge_chacha20_blocks_avx2};
  const Routine zmm{"avx512", vdsoforge_chacha20_blocks_avx512};
  if (avx512) return GENERATE_COPY(sse2, ymm, zmm);
  return avx2 ? GENERATE_COPY(sse2, ymm) : sse2;
}

using Key = std::array<uint8_t, 32>;

Key make_key(uint8_t seed) {
  Key key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
  return key;
}

// libsodium's keystream for `blocks` blocks starting at 64-bit block `counter`.
std::vector<uint8_t> sodium_keystream(const Key& key, uint64_t counter, size_t blocks) {
  REQUIRE(sodium_init() >= 0);
  if (blocks == 0) return {};  // libsodium's pointers must not be null
  std::vector<uint8_t> zeros(blocks * 64, 0), out(blocks * 64, 0);
  const std::array<uint8_t, 8> nonce{};
  crypto_stream_chacha20_xor_ic(out.data(), zeros.data(), zeros.size(), nonce.data(), counter,
                                key.data());
  return out;
}

struct Run {
  std::vector<uint8_t> out;
  uint32_t counter[2];
};

Run image_keystream(BlockFn fn, const Key& key, uint64_t counter, size_t blocks) {
  // One spare block after the output catches a routine writing too much.
  Run run{std::vector<uint8_t>((blocks + 1) * 64, 0xa5),
          {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32)}};
  fn(run.out.data(), key.data(), run.counter, blocks);
  return run;
}

uint64_t counter_value(const uint32_t counter[2]) {
  return uint64_t{counter[0]} | (uint64_t{counter[1]} << 32);
}

}  // namespace

TEST_CASE("ChaCha20 blocks equal libsodium's from counter 0", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  // 1 and 2 run the wide routines' row-layout pass, 3-16 one partial or
  // whole wide pass, the larger counts several passes and a tail.
  for (size_t blocks : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 16u, 17u, 18u, 33u, 64u}) {
    const Key key = make_key(static_cast<uint8_t>(blocks));
    const Run run = image_keystream(r.fn, key, 0, blocks);
    const auto expected = sodium_keystream(key, 0, blocks);
    INFO("blocks = " << blocks);
    CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
    CHECK(counter_value(run.counter) == blocks);
    // Nothing past the last block is written.
    CHECK(std::all_of(run.out.end() - 64, run.out.end(), [](uint8_t b) { return b == 0xa5; }));
  }
}

TEST_CASE("ChaCha20 all-zero key, nonce and counter: the published test vector", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  // A fixed vector, independent of libsodium: first keystream bytes of
  // ChaCha20 (20 rounds) with key, 64-bit nonce and counter all zero.
  const Key key{};
  const Run run = image_keystream(r.fn, key, 0, 1);
  const uint8_t expected_prefix[] = {0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90,
                                     0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28};
  CHECK(std::equal(std::begin(expected_prefix), std::end(expected_prefix), run.out.begin()));
}

TEST_CASE("ChaCha20 64-bit counter carries from word 12 into word 13", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(42);
  const uint64_t start = 0xfffffffeULL;  // two blocks before the carry
  const Run run = image_keystream(r.fn, key, start, 5);
  const auto expected = sodium_keystream(key, start, 5);
  CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
  CHECK(run.counter[0] == 3);
  CHECK(run.counter[1] == 1);
  CHECK(counter_value(run.counter) == start + 5);
}

TEST_CASE("ChaCha20 starts from a counter with a nonzero high word", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(9);
  const uint64_t start = (uint64_t{7} << 32) | 5;
  const Run run = image_keystream(r.fn, key, start, 3);
  const auto expected = sodium_keystream(key, start, 3);
  CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
  CHECK(counter_value(run.counter) == start + 3);
}

TEST_CASE("ChaCha20 with zero blocks writes nothing and keeps the counter", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(1);
  const Run run = image_keystream(r.fn, key, 12345, 0);
  CHECK(std::all_of(run.out.begin(), run.out.end(), [](uint8_t b) { return b == 0xa5; }));
  CHECK(counter_value(run.counter) == 12345);
}

TEST_CASE("ChaCha20 consecutive calls continue the keystream", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(77);
  std::vector<uint8_t> out(10 * 64);
  uint32_t counter[2] = {0, 0};
  r.fn(out.data(), key.data(), counter, 3);
  r.fn(out.data() + 3 * 64, key.data(), counter, 7);
  const auto expected = sodium_keystream(key, 0, 10);
  CHECK(out == expected);
}

TEST_CASE("ChaCha20 may write over its own key (the refill does)", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  // The refill's destination is batch_key, whose last 32 bytes are the key:
  // the routine must have loaded the key before the second block lands on it.
  const Key key = make_key(5);
  std::array<uint8_t, 128> batch_key{};
  std::copy(key.begin(), key.end(), batch_key.begin() + 96);
  uint32_t counter[2] = {0, 0};
  r.fn(batch_key.data(), batch_key.data() + 96, counter, 2);
  const auto expected = sodium_keystream(key, 0, 2);
  CHECK(std::equal(expected.begin(), expected.end(), batch_key.begin()));
}

TEST_CASE("ChaCha20 1 to 100 blocks at unaligned destinations equal libsodium's", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(200);
  // Counters just below 2^32 make every wide pass with carries across lanes.
  for (uint64_t start : {uint64_t{0}, uint64_t{0xffffffffULL - 37}}) {
    const auto expected = sodium_keystream(key, start, 100);
    for (size_t blocks = 1; blocks <= 100; ++blocks) {
      for (size_t misalign : {0u, 1u, 7u, 33u}) {
        INFO("start " << start << ", blocks " << blocks << ", dst offset " << misalign);
        // Guard bytes on both sides catch a routine writing out of bounds.
        std::vector<uint8_t> buffer(misalign + blocks * 64 + 64, 0x5c);
        uint32_t counter[2] = {static_cast<uint32_t>(start), static_cast<uint32_t>(start >> 32)};
        r.fn(buffer.data() + misalign, key.data(), counter, blocks);
        REQUIRE(std::equal(expected.begin(), expected.begin() + blocks * 64,
                           buffer.begin() + misalign));
        REQUIRE(counter_value(counter) == start + blocks);
        REQUIRE(std::all_of(buffer.begin(), buffer.begin() + misalign,
                            [](uint8_t b) { return b == 0x5c; }));
        REQUIRE(std::all_of(buffer.begin() + misalign + blocks * 64, buffer.end(),
                            [](uint8_t b) { return b == 0x5c; }));
      }
    }
  }
}

TEST_CASE("ChaCha20 counter wraps from 2^64 - 1 to 0", "[chacha20]") {
  const Routine r = routine_under_test();
  INFO("routine " << r.name);
  const Key key = make_key(17);
  for (size_t blocks : {2u, 3u, 20u}) {
    const uint64_t start = ~uint64_t{0} - 1;  // two blocks before the wrap
    std::vector<uint8_t> out(blocks * 64);
    uint32_t counter[2] = {static_cast<uint32_t>(start), static_cast<uint32_t>(start >> 32)};
    r.fn(out.data(), key.data(), counter, blocks);
    // libsodium's counter is 64 bits as well: blocks past the wrap are
    // blocks 0, 1, ... of the same key.
    const auto before = sodium_keystream(key, start, 2);
    const auto after = sodium_keystream(key, 0, blocks - 2);
    INFO("blocks " << blocks);
    CHECK(std::equal(before.begin(), before.end(), out.begin()));
    CHECK(std::equal(after.begin(), after.end(), out.begin() + 128));
    CHECK(counter_value(counter) == blocks - 2);
  }
}

TEST_CASE("the image's dispatch entry runs SSE2 as linked", "[chacha20]") {
  // In the host library nothing patches the jump: it must reach the SSE2
  // routine and produce the same keystream.
  const Key key = make_key(8);
  const Run run = image_keystream(vdsoforge_chacha20_blocks, key, 3, 5);
  const auto expected = sodium_keystream(key, 3, 5);
  CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
  CHECK(counter_value(run.counter) == 8);
}

TEST_CASE("the AVX2 routine runs on this CPU", "[chacha20][avx2]") {
  // The routine tests above include it only where the CPU has AVX2; this case
  // makes a machine without it visible as a SKIP.
  if (!cpu_has_avx2()) vdsoforge_skip("CPU lacks AVX2: the AVX2 routine is not tested");
  const Key key = make_key(4);
  const Run run = image_keystream(vdsoforge_chacha20_blocks_avx2, key, 0, 19);
  const auto expected = sodium_keystream(key, 0, 19);
  CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
}

TEST_CASE("the AVX-512 routine runs on this CPU", "[chacha20][avx512]") {
  // The routine tests above include it only where the CPU has AVX-512F+VL;
  // this case makes a machine without them visible as a SKIP.
  if (!cpu_has_avx512()) vdsoforge_skip("CPU lacks AVX-512F/VL: the AVX-512 routine is not tested");
  const Key key = make_key(3);
  const Run run = image_keystream(vdsoforge_chacha20_blocks_avx512, key, 0, 37);
  const auto expected = sodium_keystream(key, 0, 37);
  CHECK(std::equal(expected.begin(), expected.end(), run.out.begin()));
}
