// `vdsoforge embed`: the generated header describes the image correctly,
// and images it cannot describe are refused with a reason.
#include <catch2/catch.hpp>
#include <regex>

#include "abi_fixtures.h"
#include "vdsoforge/elf_image.h"

using namespace abi_test;
using namespace test_support;

namespace {

// The value of `#define NAME value` in a header, as a number.
uint64_t macro(const std::string& header, const std::string& name) {
  const std::regex pattern("#define " + name + " (0x[0-9a-f]+|[0-9]+)(UL)?\\b");
  std::smatch match;
  if (!std::regex_search(header, match, pattern)) throw std::runtime_error("no macro " + name);
  return std::stoull(match[1].str(), nullptr, 0);
}

}  // namespace

TEST_CASE("embed names a profile image's kernel and its time-namespace indirection") {
  const std::string dir = VDSOFORGE_TEST_PROFILE_IMAGE_DIR;
  const ToolResult pre_615 =
      run_tool({"embed", dir + "/vdsoforge-getrandom-linux-6.13.so", "--name", "probe"});
  INFO(pre_615.err);
  REQUIRE(pre_615.exit_code == 0);
  CHECK(pre_615.out.find("#define PROBE_LAYOUT_PROFILE \"linux-6.13\"") != std::string::npos);
  CHECK(macro(pre_615.out, "PROBE_VVAR_PAGE_OFFSET") == 0);
  CHECK(macro(pre_615.out, "PROBE_TIMENS_PAGE_OFFSET") == 0x1000);
  CHECK(macro(pre_615.out, "PROBE_CLOCK_MODE_OFFSET") == 0x4);
  CHECK(macro(pre_615.out, "PROBE_RNG_DATA_BELOW_BASE") == 0x3d80);
  const ToolResult current =
      run_tool({"embed", dir + "/vdsoforge-getrandom-linux-6.15.so", "--name", "probe"});
  REQUIRE(current.exit_code == 0);
  CHECK(current.out.find("#define PROBE_LAYOUT_PROFILE \"linux-6.15\"") != std::string::npos);
  CHECK(current.out.find("PROBE_TIMENS_PAGE_OFFSET") == std::string::npos);
  // The default image has an explicit area: no profile to name.
  const ToolResult explicit_area = run_tool({"embed", VDSOFORGE_TEST_IMAGE, "--name", "probe"});
  REQUIRE(explicit_area.exit_code == 0);
  CHECK(explicit_area.out.find("PROBE_LAYOUT_PROFILE") == std::string::npos);
}

TEST_CASE("embed writes the image's layout and export offsets") {
  vdsoforge::ElfError err;
  const auto elf =
      vdsoforge::ElfImage::parse_file(VDSOFORGE_TEST_IMAGE, vdsoforge::ParseMode::strict, err);
  REQUIRE(elf);
  REQUIRE(elf->data_layout());
  const ToolResult result = run_tool({"embed", VDSOFORGE_TEST_IMAGE, "--name", "probe"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::string& header = result.out;
  CHECK(macro(header, "PROBE_DATA_AREA_SIZE") == elf->data_layout()->data_area_size);
  CHECK(macro(header, "PROBE_RNG_DATA_OFFSET") == elf->data_layout()->rng_data_offset);
  CHECK(macro(header, "PROBE_RNG_DATA_BELOW_BASE") ==
        elf->data_layout()->data_area_size - elf->data_layout()->rng_data_offset);
  CHECK(macro(header, "PROBE_IMAGE_FILE_SIZE") == elf->bytes().size());
  const uint64_t image_size = macro(header, "PROBE_IMAGE_SIZE");
  CHECK(image_size % 4096 == 0);
  CHECK(image_size >= elf->bytes().size());
  CHECK(image_size < elf->bytes().size() + 4096);
  for (const char* name : {"__vdso_getrandom", "getrandom", "__vdso_clock_gettime", "clock_gettime",
                           "__vdso_gettimeofday", "gettimeofday", "__vdso_time", "time",
                           "__vdso_clock_getres", "clock_getres", "__vdso_getcpu", "getcpu"}) {
    const vdsoforge::Symbol* symbol = elf->lookup(name, "LINUX_2.6");
    REQUIRE(symbol != nullptr);
    CHECK(macro(header, std::string("PROBE_SYM_") + name) == symbol->value);
  }
  CHECK(macro(header, "PROBE_SYMBOL_COUNT") == 12);
  CHECK(header.find("__attribute__((aligned(4096), unused))") != std::string::npos);
  // The array starts with the ELF magic.
  CHECK(header.find("probe_image[PROBE_IMAGE_SIZE]") != std::string::npos);
  CHECK(header.find("\t0x7f, 0x45, 0x4c, 0x46,") != std::string::npos);
}

TEST_CASE("embed writes to a file with -o") {
  TempDir dir;
  const auto path = dir.path("image.h");
  const ToolResult result = run_tool({"embed", VDSOFORGE_TEST_IMAGE, "-o", path.string()});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  const Bytes written = read_file(path);
  const std::string header(written.begin(), written.end());
  CHECK(header.find("#define VDSO_IMAGE_SYM___vdso_getrandom 0x") != std::string::npos);
}

TEST_CASE("embed refuses a prefix that is not a C identifier") {
  const ToolResult result = run_tool({"embed", VDSOFORGE_TEST_IMAGE, "--name", "9-lives"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("'9-lives' is not a C identifier") != std::string::npos);
}

TEST_CASE("embed refuses an image without a data-layout note") {
  // The note names where the data pages go; without it the header would
  // have to guess.  Renaming the note's owner hides it from the parser.
  TempDir dir;
  const auto image = broken_image(dir, "nonote.so", [](Bytes& bytes) {
    const std::string owner = "vdsoforge";
    const auto at = std::search(bytes.begin(), bytes.end(), owner.begin(), owner.end());
    if (at == bytes.end()) throw std::runtime_error("no vdsoforge note owner in the image");
    *at = 'V';
  });
  const ToolResult result = run_tool({"embed", image});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("data-layout note") != std::string::npos);
  CHECK(result.out.empty());
}

TEST_CASE("embed refuses a broken image with the parser's message") {
  TempDir dir;
  const auto image = broken_image(dir, "reloc.so", add_stray_relocation);
  const ToolResult result = run_tool({"embed", image});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("has_relocations") != std::string::npos);
}
