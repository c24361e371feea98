// The reference model stands in for the kernel where the kernel cannot be
// driven, so it must first agree with the kernel wherever it can.
#include <catch2/catch.hpp>
#include <cstdio>

#include "differential.h"
#include "reference_model.h"
#include "targets.h"
#include "test_seed.h"

using namespace conformance;

TEST_CASE("reference model equals the kernel vDSO byte for byte") {
  Targets& t = targets();
  VdsoRngData model_page{0, 1};
  DifferentialConfig config;
  config.reference = as_impl(t.kernel_getrandom);
  config.candidate = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return reference_vgetrandom(model_page, b, l, f, s, o);
  };
  config.set_candidate_generation = [&](uint64_t g) { model_page.generation = g; };
  config.seed = test_seed("kernel-vs-model");
  config.random_requests = 10000;
  const DifferentialResult result = run_differential(config);
  REQUIRE(result.error.empty());
  INFO(result.mismatch);
  REQUIRE(result.mismatch.empty());
  CHECK(result.compared >= 10000);
  std::printf(
      "[conformance] kernel-vs-model: %zu requests compared byte for byte (%zu pos sweep, "
      "%zu over 64 KiB), %llu bytes, %zu kernel reseeds followed\n",
      result.compared, result.sweep_requests, result.large_requests,
      static_cast<unsigned long long>(result.bytes), result.kernel_reseeds);
}
