#include "test_images.h"

#include <catch2/catch.hpp>

#include "vdsoforge/chacha20_routine.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/image_defaults.h"

namespace exec_test {

using vdsoforge::chacha20_routine_name;
using vdsoforge::Chacha20Routine;
using vdsoforge::cpu_supports;

std::vector<TestImage> consumer_images(const test_support::TempDir& dir) {
  // One run per ChaCha20 routine this CPU can execute: the loader patches
  // the chosen one into the image exec maps.
  std::vector<TestImage> images;
  for (const Chacha20Routine routine :
       {Chacha20Routine::sse2, Chacha20Routine::avx2, Chacha20Routine::avx512}) {
    if (!cpu_supports(routine)) continue;
    const std::string name(chacha20_routine_name(routine));
    images.push_back({"image (" + name + ")", VDSOFORGE_TEST_IMAGE, {"--chacha", name}});
  }
  const std::string dumped = dir.path("kernel-vdso.so").string();
  const test_support::ToolResult dump = test_support::run_tool({"dump", "-o", dumped});
  INFO(dump.err);
  REQUIRE(dump.exit_code == 0);
  // No --data-layout: exec derives the kernel's layout from its code.
  images.push_back({"kernel's dumped vDSO", dumped, {}});
  return images;
}

TestImage control_image_without_getrandom() {
  // vdsoforge_add_image() records no data layout in an image without
  // getrandom; the usual one is given so exec maps it all the same.
  return {"control (no vDSO getrandom)",
          VDSOFORGE_EXEC_CONTROL_IMAGE,
          {"--data-layout", vdsoforge::hex(vdsoforge::image_defaults::kDataAreaSize) + ":" +
                                vdsoforge::hex(vdsoforge::image_defaults::kRngDataOffset)}};
}

}  // namespace exec_test
