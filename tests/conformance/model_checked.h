// Tests that take the reference model as their specification first make sure,
// in the same process, that the model still agrees with the kernel's vDSO.
#pragma once

#include <catch2/catch.hpp>

#include "differential.h"
#include "reference_model.h"
#include "targets.h"

namespace conformance {

inline void require_model_matches_kernel(uint64_t seed) {
  VdsoRngData page{0, 1};
  DifferentialConfig config;
  config.reference = as_impl(targets().kernel_getrandom);
  config.candidate = [&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return reference_vgetrandom(page, b, l, f, s, o);
  };
  config.set_candidate_generation = [&](uint64_t g) { page.generation = g; };
  config.seed = seed;
  config.random_requests = 500;
  config.largest = 1 << 16;
  const DifferentialResult result = run_differential(config);
  INFO("the reference model no longer matches the kernel: " << result.mismatch << result.error);
  REQUIRE(result.error.empty());
  REQUIRE(result.mismatch.empty());
}

}  // namespace conformance
