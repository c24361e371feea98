// The central promise: for the same state and generation the image does what
// the kernel's vDSO does, to the byte (docs/conformance.md).
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "differential.h"
#include "reference_model.h"
#include "targets.h"
#include "test_seed.h"

using namespace conformance;

namespace {

void print_summary(const char* group, const DifferentialResult& r) {
  std::printf(
      "[conformance] %s: %zu requests compared byte for byte (%zu pos sweep, %zu over "
      "64 KiB, flags 0/1/2/4/5: %zu/%zu/%zu/%zu/%zu), %llu bytes, %zu fresh states, "
      "%zu kernel reseeds followed\n",
      group, r.compared, r.sweep_requests, r.large_requests, r.flags_seen[0], r.flags_seen[1],
      r.flags_seen[2], r.flags_seen[4], r.flags_seen[5], static_cast<unsigned long long>(r.bytes),
      r.fresh_states, r.kernel_reseeds);
}

}  // namespace

TEST_CASE("image equals the kernel vDSO byte for byte over 10,000+ requests") {
  Targets& t = targets();
  DifferentialConfig config;
  config.reference = as_impl(t.kernel_getrandom);
  config.candidate = as_impl(t.image_getrandom);
  config.set_candidate_generation = [&](uint64_t g) { t.page->set_generation(g); };
  config.seed = test_seed("kernel-vs-image");
  config.random_requests = 12000;
  const DifferentialResult result = run_differential(config);
  REQUIRE(result.error.empty());
  INFO(result.mismatch);
  REQUIRE(result.mismatch.empty());
  CHECK(result.compared >= 10000);
  CHECK(result.large_requests >= 2);
  for (unsigned flags : {0u, 1u, 4u}) CHECK(result.flags_seen[flags] > 0);
  print_summary("kernel-vs-image", result);
}

TEST_CASE("parameter query answers identically in kernel, image and model") {
  Targets& t = targets();
  auto query = [](auto&& fn) {
    std::array<uint8_t, 64> params;
    params.fill(0xee);  // reserved words must come back zeroed, not untouched
    const long ret = fn(nullptr, 0, 0, params.data(), ~size_t{0});
    return std::pair{ret, params};
  };
  const auto kernel = query(t.kernel_getrandom);
  const auto image = query(t.image_getrandom);
  const VdsoRngData page{1, 1};
  const auto model = query([&](void* b, size_t l, unsigned f, void* s, size_t o) {
    return reference_vgetrandom(page, b, l, f, s, o);
  });
  REQUIRE(kernel.first == 0);
  CHECK(image.first == 0);
  CHECK(model.first == 0);
  CHECK(image.second == kernel.second);
  CHECK(model.second == kernel.second);
  vdsoforge::abi::VgetrandomOpaqueParams p;
  std::memcpy(&p, kernel.second.data(), sizeof p);
  CHECK(p.size_of_opaque_state == 144);
  CHECK(p.mmap_prot == 3);
  CHECK(p.mmap_flags == 0x28);
  for (uint32_t word : p.reserved) CHECK(word == 0);
  std::printf("[conformance] parameter-query: 64 of 64 bytes equal in kernel, image and model\n");
}
