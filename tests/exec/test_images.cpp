#include "test_images.h"

#include <catch2/catch.hpp>

namespace exec_test {

namespace {

// The data-area size `dump` reports for the kernel's vDSO: the distance of
// its lowest [vvar*] mapping below the base.
std::string kernel_data_layout(const std::string& dump_output) {
  const size_t vvar = dump_output.find("[vvar]");
  REQUIRE(vvar != std::string::npos);
  const size_t minus = dump_output.find("-0x", vvar);
  REQUIRE(minus != std::string::npos);
  const uint64_t data_size = std::stoull(dump_output.substr(minus + 1), nullptr, 16);
  // Linux 6.15+ (generic vDSO storage, six data pages on x86-64) puts
  // vdso_rng_data at the start of the third data page: base - 0x4000 with
  // the six-page layout (docs/abi.md).
  REQUIRE(data_size >= 0x4000);
  char layout[64];
  std::snprintf(layout, sizeof layout, "0x%lx:0x%lx", static_cast<unsigned long>(data_size),
                static_cast<unsigned long>(data_size - 0x4000));
  return layout;
}

}  // namespace

std::vector<TestImage> consumer_images(const abi_test::TempDir& dir) {
  std::vector<TestImage> images = {{"image (SSE2)", VDSOFORGE_TEST_IMAGE, {}}};
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
    images.push_back({"image (AVX-512)", VDSOFORGE_TEST_AVX512_IMAGE, {}});
  const std::string dumped = dir.path("kernel-vdso.so").string();
  const abi_test::ToolResult dump = abi_test::run_tool({"dump", "-o", dumped});
  INFO(dump.err);
  REQUIRE(dump.exit_code == 0);
  images.push_back({"kernel's dumped vDSO", dumped, {"--data-layout", kernel_data_layout(dump.out)}});
  return images;
}

TestImage control_image_without_getrandom() {
  // vdsoforge_add_image() records no data layout in an image without
  // getrandom; the usual one is given so exec maps it all the same.
  return {"control (no vDSO getrandom)", VDSOFORGE_EXEC_CONTROL_IMAGE,
          {"--data-layout", "0x6000:0x2000"}};
}

}  // namespace exec_test
