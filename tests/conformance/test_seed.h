// The seed of a randomised test: VDSOFORGE_SEED if set (to replay a failure),
// otherwise fresh.  Printed so every run can be replayed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

namespace conformance {

inline uint64_t test_seed(const char* test_name) {
  uint64_t seed;
  if (const char* from_env = std::getenv("VDSOFORGE_SEED"); from_env && *from_env) {
    size_t used = 0;
    seed = std::stoull(from_env, &used, 0);
    if (from_env[used] != '\0')
      throw std::invalid_argument(std::string("VDSOFORGE_SEED is not a number: ") + from_env);
  } else {
    std::random_device device;
    seed = (uint64_t{device()} << 32) | device();
  }
  std::printf("[%s] seed 0x%016llx (replay with VDSOFORGE_SEED=0x%016llx)\n", test_name,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace conformance
