// `vdsoforge embed --format kernel`: the vdso-image-64.c it writes for Linux
// 6.12, and the images it refuses.  The file's bytes, table and initcall are
// checked by compiling it (kernel_vdso_match, tests/kernel/tests.cmake); a
// kernel built with it is booted by tests/kernel/run.sh.
#include <catch2/catch.hpp>
#include <string>

#include "abi_fixtures.h"
#include "vdsoforge/chacha20_note.h"
#include "vdsoforge/elf_image.h"

using namespace test_support;

namespace {

std::string profile_image(const std::string& profile) {
  return std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) + "/vdsoforge-getrandom-" + profile + ".so";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("embed --format kernel writes Linux 6.12's struct vdso_image for a linux-6.11 image") {
  const std::string image = profile_image("linux-6.11");
  const ToolResult result = run_tool({"embed", "--format", "kernel", image});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::string& c = result.out;
  CHECK(has(c, "#include <asm/vdso.h>"));
  CHECK(has(c, "__ro_after_init __aligned(PAGE_SIZE)"));
  CHECK(has(c, "const struct vdso_image vdso_image_64 = {"));
  // The four pages below the image, as vdso-layout.lds.S of 6.12 places them.
  CHECK(has(c, ".sym_vvar_start = -0x4000,"));
  CHECK(has(c, ".sym_vvar_page = -0x4000,"));
  CHECK(has(c, ".sym_pvclock_page = -0x3000,"));
  CHECK(has(c, ".sym_hvclock_page = -0x2000,"));
  CHECK(has(c, ".sym_timens_page = -0x1000,"));
  CHECK(has(c, ".extable_len = 0,"));
  CHECK(has(c, "return init_vdso_image(&vdso_image_64);"));
  CHECK(has(c, "subsys_initcall("));

  // One alternative per routine beyond SSE2, named by its 6.12 feature bit.
  vdsoforge::ElfError err;
  const auto elf = vdsoforge::ElfImage::parse_file(image, vdsoforge::ParseMode::strict, err);
  REQUIRE(elf);
  const auto routines = vdsoforge::read_chacha20_routines(*elf, err);
  REQUIRE(routines);
  const size_t beyond_sse2 = routines->routines.size() - 1;
  CHECK(has(c, ".alt_len = " + std::to_string(14 * beyond_sse2) + ","));
  CHECK(has(c, "X86_FEATURE_AVX2 (9*32+5)"));
  CHECK(has(c, "X86_FEATURE_AVX512VL (9*32+31)"));
}

TEST_CASE("embed --format kernel refuses an image of another layout, naming both") {
  const std::string target =
      "linux-6.11 (rng data at base - 0x3d80, clock mode at base - 0x3f7c, timens page at base - "
      "0x1000)";
  SECTION("linux-6.13: same rng data, another timens page") {
    const ToolResult r =
        run_tool({"embed", "--format", "kernel", profile_image("linux-6.13"), "-o", "/dev/null"});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, "vdsoforge embed: "));
    CHECK(has(r.err,
              "the image's data layout is linux-6.13 (rng data at base - 0x3d80, clock mode at "
              "base - 0x3ffc, timens page at base - 0x3000)"));
    CHECK(has(r.err, "Linux 6.12 (x86-64) keeps its data as " + target));
  }
  SECTION("linux-6.15: generic storage") {
    const ToolResult r = run_tool({"embed", "--format", "kernel", profile_image("linux-6.15")});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, "linux-6.15 (rng data at base - 0x4000, no time-namespace indirection)"));
    CHECK(has(r.err, target));
  }
  SECTION("the default image: an explicit area") {
    const ToolResult r = run_tool({"embed", "--format", "kernel", VDSOFORGE_TEST_IMAGE});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, "an explicit data area of"));
    CHECK(has(r.err, target));
    CHECK(r.out.empty());
  }
}

TEST_CASE("embed --format kernel: usage errors") {
  const std::string image = profile_image("linux-6.11");
  const ToolResult named = run_tool({"embed", "--format", "kernel", "--name", "x", image});
  CHECK(named.exit_code == 2);
  CHECK(has(named.err, "--name does not apply to --format kernel"));
  const ToolResult unknown = run_tool({"embed", "--format", "vdso2c", image});
  CHECK(unknown.exit_code == 2);
}
