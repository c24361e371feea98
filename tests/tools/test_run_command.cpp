// `vdsoforge run`, driven as a user would: exit codes, where the report and
// the bytes go, and what the report says.

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>

#include "abi_fixtures.h"
#include "image_bytes.h"
#include "tool_runner.h"
#include "vdsoforge/image_defaults.h"

namespace {

using test_support::ToolResult;

// `vdsoforge run` with a command line written as one string (split at
// spaces).  Output goes to files, so stdout is never a terminal here.
ToolResult run_tool(const std::string& arguments) {
  return test_support::run_tool(test_support::words("run " + arguments));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("run without -n prints the layout, the data page and 32 bytes in hex") {
  const auto result = run_tool("");
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.out, "image " VDSOFORGE_TEST_IMAGE));
  CHECK(contains(result.out, "__vdso_getrandom@@LINUX_2.6"));
  CHECK(contains(result.out, "getrandom@@LINUX_2.6"));
  char version_line[64];
  std::snprintf(version_line, sizeof version_line, "version code 0x%06x (%s)",
                vdsoforge::default_image::kLinuxVersionCode,
                vdsoforge::default_image::kLinuxVersion);
  CHECK(contains(result.out, version_line));
  CHECK(std::regex_search(result.out, std::regex("build-id [0-9a-f]{40}")));
  CHECK(contains(result.out, "rng data"));
  CHECK(std::regex_search(result.out, std::regex("generation [1-9][0-9]*, is_ready 1, mode")));
  CHECK(std::regex_search(result.out, std::regex("\n  [0-9a-f]{64}\n")));
  CHECK(contains(result.out, "kernel vDSO"));
}

TEST_CASE("run compares with the kernel vDSO: shared exports, 16 bytes from each, no timing") {
  abi_test::require_kernel_getrandom();
  const auto result = run_tool("--hex -n 16");
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.out, "__vdso_getrandom@@LINUX_2.6      also in the kernel vDSO"));
  CHECK(std::regex_search(result.out, std::regex("image returned 16 \\([0-9a-f]{32}\\), kernel "
                                                 "returned 16 \\([0-9a-f]{32}\\)")));
  // Timings are scripts/bench.sh's, which --help names.
  CHECK_FALSE(contains(result.out, "ns/call"));
  CHECK(contains(run_tool("--help").out, "scripts/bench.sh"));
}

TEST_CASE("run -n to a pipe or file writes exactly that many raw bytes, the report to stderr") {
  const auto result = run_tool("-n 1000");
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.size() == 1000);
  CHECK(result.out.find_first_not_of('\0') != std::string::npos);
  CHECK(contains(result.err, "data page"));
  CHECK(contains(result.err, "raw on stdout"));

  const auto large = run_tool("--raw -n 200000");
  REQUIRE(large.exit_code == 0);
  CHECK(large.out.size() == 200000);
  CHECK(run_tool("--raw -n 0").out.empty());
}

TEST_CASE("run --hex keeps hex even to a file") {
  const auto result = run_tool("--hex -n 40");
  REQUIRE(result.exit_code == 0);
  CHECK(std::regex_search(result.out, std::regex("\n  [0-9a-f]{64}\n  [0-9a-f]{16}\n")));
  CHECK(result.err.empty());
}

TEST_CASE("run --mode manual starts the page at generation 1") {
  const auto result = run_tool("--mode manual");
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.out, "generation 1, is_ready 1, mode manual"));
}

TEST_CASE("run refuses bad arguments with exit status 2 and says why") {
  const struct {
    const char* arguments;
    const char* message;
  } cases[] = {
      {"--raw --hex", "--raw excludes --hex"},
      {"-n -1", "--bytes"},
      {"-n lots", "--bytes"},
      {"/nonexistent/image.so", "/nonexistent/image.so"},
      {"--mode sometimes", "sometimes"},
      {"--no-such-option", "--no-such-option"},
  };
  for (const auto& c : cases) {
    INFO(c.arguments);
    const auto result = run_tool(c.arguments);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, c.message));
    CHECK(result.out.empty());
  }
}

TEST_CASE("run on a file that is no image exits 2 with the parser's error") {
  const std::string path = "/tmp/vdsoforge-run-test-not-an-image";
  // Longer than an ELF header, so the first thing wrong is the magic.
  std::ofstream(path) << std::string(200, 'x');
  const auto result = run_tool(path);
  std::remove(path.c_str());
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "(bad_magic)"));
  CHECK(contains(result.err, path));
}

TEST_CASE("run --timens runs a pre-6.15 profile image inside an emulated time namespace") {
  const std::string dir = VDSOFORGE_TEST_PROFILE_IMAGE_DIR;
  const ToolResult inside =
      run_tool("--timens --mode manual " + dir + "/vdsoforge-getrandom-linux-6.11.so");
  CHECK(inside.exit_code == 0);
  CHECK(contains(inside.out, "profile    linux-6.11"));
  CHECK(contains(inside.out, "inside an emulated time namespace"));
  // Through the timens slot: base - 0x3d80 + 0x3000.
  CHECK(contains(inside.out, "(image base - 0xd80)"));
  const ToolResult outside =
      run_tool("--mode manual " + dir + "/vdsoforge-getrandom-linux-6.11.so");
  CHECK(outside.exit_code == 0);
  CHECK(contains(outside.out, "(image base - 0x3d80)"));
  CHECK_FALSE(contains(outside.out, "inside an emulated time namespace"));
  // The note line says where a namespace would send the reads.
  CHECK(contains(outside.out, "profile linux-6.11, in a time namespace through +0x3280"));
  // 6.15+: the namespace swaps only the time page; the rng data stays put.
  const ToolResult generic = run_tool("--timens " + dir + "/vdsoforge-getrandom-linux-6.15.so");
  CHECK(generic.exit_code == 0);
  CHECK(contains(generic.out, "inside an emulated time namespace"));
  CHECK(contains(generic.out, "(image base - 0x4000)"));
  // An image with neither the indirection nor time data has nothing to swap.
  const ToolResult refused =
      run_tool(std::string("--timens ") + VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE);
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "(not_supported)"));
}

TEST_CASE("run --timens serves real 6.12 kernels' vDSOs through the time-namespace page") {
  // Debian's GCC-built kernel and a Clang-built one (tests/kernel/fixtures): their
  // code reaches the namespace copy of the rng data in ways the detector must
  // follow before the loader can place the pages.
  for (const std::string_view fixture :
       {test_support::kDebian612Vdso, test_support::kClang612Vdso}) {
    INFO(fixture);
    const ToolResult inside = run_tool("--timens --mode manual -n 64 --hex " +
                                       test_support::kernel_fixture_path(fixture));
    INFO(inside.out << inside.err);
    CHECK(inside.exit_code == 0);
    CHECK(contains(inside.out, "profile linux-6.11, certain"));
    CHECK(contains(inside.out, "inside an emulated time namespace"));
    CHECK(contains(inside.out, "(image base - 0xd80)"));
    CHECK(contains(inside.out, "random bytes (64, from the image's getrandom)"));
  }
}
