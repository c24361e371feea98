// The reference model is only worth something if it is right: its ChaCha20
// must equal libsodium's, and the whole model must equal the algorithm the
// image is built from (and, in test_model_vs_kernel.cpp, the kernel).
#include <sodium.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "call_outcome.h"
#include "differential.h"
#include "host_entry.h"
#include "reference_chacha20.h"
#include "reference_model.h"
#include "test_seed.h"

using namespace conformance;

namespace {

std::vector<uint8_t> sodium_keystream(const std::array<uint8_t, 32>& key, uint64_t counter,
                                      size_t nblocks) {
  std::vector<uint8_t> zeros(nblocks * 64, 0), out(nblocks * 64, 0);
  const std::array<uint8_t, 8> nonce{};
  crypto_stream_chacha20_xor_ic(out.data(), zeros.data(), zeros.size(), nonce.data(), counter,
                                key.data());
  return out;
}

}  // namespace

TEST_CASE("reference ChaCha20 equals libsodium's crypto_stream_chacha20") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937_64 rng(test_seed("model-chacha"));
  size_t cases = 0;
  // Counters chosen so word 12 overflows into word 13 inside a run of blocks.
  const std::vector<uint64_t> counters = {
      0, 1, 0xfffffffeULL, 0xffffffffULL, 0x1ffffffffULL, 0x123456789abcULL};
  for (int round = 0; round < 50; ++round) {
    std::array<uint8_t, 32> key;
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    for (const uint64_t start : counters) {
      const size_t nblocks = 1 + rng() % 5;
      uint64_t counter = start;
      std::vector<uint8_t> ours(nblocks * 64);
      reference_chacha20_blocks(ours, key, counter, nblocks);
      CHECK(counter == start + nblocks);
      REQUIRE(ours == sodium_keystream(key, start, nblocks));
      ++cases;
    }
  }
  std::printf("[conformance] model-chacha: %zu keystream runs equal to libsodium\n", cases);
}

TEST_CASE("reference model equals the image's algorithm compiled for the host") {
  // Both sides get the same data page generation, so neither reseeds after the
  // model seeded the state: every byte then comes from the two ChaCha20s and
  // the two batch/pos/refill implementations.
  VdsoRngData model_page{0x5eed, 1};
  VdsoRngData host_page{0, 1};
  DifferentialConfig config;
  config.reference = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return reference_vgetrandom(model_page, b, l, f, s, o);
  };
  config.candidate = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return vdsoforge_host_vgetrandom(&host_page, b, l, f, s, o);
  };
  config.set_candidate_generation = [&](uint64_t g) { host_page.generation = g; };
  config.seed = test_seed("model-vs-host");
  config.random_requests = 5000;
  const DifferentialResult result = run_differential(config);
  REQUIRE(result.error.empty());
  INFO(result.mismatch);
  REQUIRE(result.mismatch.empty());
  CHECK(result.compared >= 5000);
  std::printf(
      "[conformance] model-vs-host: %zu requests compared (%zu pos sweep, %zu large), "
      "%llu bytes, %zu fresh states\n",
      result.compared, result.sweep_requests, result.large_requests,
      static_cast<unsigned long long>(result.bytes), result.fresh_states);
}

TEST_CASE("the differential run follows a reference that reseeds on its own") {
  // Stands in for the kernel reseeding mid-run (rare on a real machine, so
  // the kernel comparisons seldom take this path): the reference's page
  // moves every 300 calls, the candidate's only when the harness follows.
  VdsoRngData reference_page{0x1000, 1};
  VdsoRngData candidate_page{0, 1};
  size_t calls = 0;
  DifferentialConfig config;
  config.reference = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    if (++calls % 300 == 0) ++reference_page.generation;
    return reference_vgetrandom(reference_page, b, l, f, s, o);
  };
  config.candidate = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return vdsoforge_host_vgetrandom(&candidate_page, b, l, f, s, o);
  };
  config.set_candidate_generation = [&](uint64_t g) { candidate_page.generation = g; };
  config.seed = test_seed("differential-follows-reseeds");
  config.random_requests = 3000;
  const DifferentialResult result = run_differential(config);
  REQUIRE(result.error.empty());
  INFO(result.mismatch);
  REQUIRE(result.mismatch.empty());
  CHECK(result.kernel_reseeds > 0);
  CHECK(result.compared >= 3000);
  std::printf(
      "[conformance] differential-follows-reseeds: %zu reference reseeds followed, %zu "
      "requests compared\n",
      result.kernel_reseeds, result.compared);
}
