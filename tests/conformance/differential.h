// The byte-identical comparison (docs/conformance.md), as a reusable run.
//
// A state is seeded by the reference (the kernel's vDSO), copied, and the
// candidate's data page is set to the state's generation; both then serve the
// same request from identical copies and must agree on the return value,
// every output byte, the untouched byte after the buffer and all 144 state
// bytes.  The agreed state carries on to the next request (long-used state);
// now and then a fresh one is seeded.  If the kernel reseeds on its own during
// the run, that request is not compared and the run continues from the
// kernel's new state and generation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "call_outcome.h"

namespace conformance {

struct DifferentialConfig {
  GetrandomImpl reference;
  GetrandomImpl candidate;
  std::function<void(uint64_t)> set_candidate_generation;
  uint64_t seed = 0;
  size_t random_requests = 10000;  // on top of the pos sweep and the fixed large sizes
  bool pos_sweep = true;           // every pos 0..96 against lengths straddling the batch end
  size_t largest = size_t{1} << 20;
};

struct DifferentialResult {
  size_t compared = 0;        // requests whose outcomes were compared (and agreed)
  size_t sweep_requests = 0;  // of which from the pos sweep
  size_t large_requests = 0;  // of which longer than 64 KiB
  size_t fresh_states = 0;
  size_t kernel_reseeds = 0;  // requests skipped because the kernel's generation moved
  size_t flags_seen[8] = {};  // compared requests by flags value
  uint64_t bytes = 0;
  std::string mismatch;  // empty if everything agreed; else the first difference
  std::string error;     // harness problem (e.g. the reference failed to seed)
};

DifferentialResult run_differential(const DifferentialConfig& config);

// The lengths a random request draws from, by branch of the algorithm.
size_t draw_request_length(uint64_t random, uint64_t random2, size_t pos, size_t largest);

}  // namespace conformance
