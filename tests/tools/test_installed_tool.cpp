// An installed `vdsoforge` finds its default image relative to its own
// executable, for every command that has one (run, exec, abi), and never in
// the build tree it was compiled in.  The tool is copied into a throw-away
// prefix laid out as `cmake --install` lays it out (scripts/example.sh runs
// the same commands against a real `cmake --install` and the .deb).

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "files.h"
#include "tool_runner.h"

namespace {

namespace fs = std::filesystem;
using test_support::run_program;
using test_support::TempDir;

// PREFIX/bin/vdsoforge, and the image and the demo consumer where
// `cmake --install` puts them, unless left out.
struct Prefix {
  TempDir dir;
  fs::path tool = dir.path(VDSOFORGE_TEST_BIN_DIR "/vdsoforge");
  fs::path image = dir.path(VDSOFORGE_TEST_IMAGE_INSTALL_DIR "/vdsoforge-getrandom.so");
  fs::path probe = dir.path(VDSOFORGE_TEST_PROBE_INSTALL_PATH);

  explicit Prefix(bool with_files) {
    fs::create_directories(tool.parent_path());
    fs::copy_file(VDSOFORGE_TOOL, tool);
    if (!with_files) return;
    fs::create_directories(image.parent_path());
    fs::copy_file(VDSOFORGE_TEST_IMAGE, image);
    fs::create_directories(probe.parent_path());
    fs::copy_file(VDSOFORGE_TEST_PROBE, probe);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("installed run, abi and exec default to the image installed beside the tool") {
  const Prefix prefix(true);
  const std::string tool = prefix.tool.string(), image = prefix.image.string();

  const auto run = run_program({tool, "run", "--hex", "-n", "16"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.out, "image " + image + "\n"));

  // The image against itself: no kernel needed, and compatible.
  const auto abi = run_program({tool, "abi", "--reference", image});
  INFO(abi.out << abi.err);
  CHECK(abi.exit_code == 0);
  CHECK(contains(abi.out, "image:     " + image));

  const std::string report = prefix.dir.path("report.json").string();
  const auto exec = run_program({tool, "exec", "--report", report, "--", "/bin/true"});
  INFO(exec.out << exec.err);
  REQUIRE(exec.exit_code == 0);
  CHECK(nlohmann::json::parse(test_support::read_text_file(report)).at("image") == image);

  // --demo runs the installed consumer, and the report names it.
  const auto demo = run_program({tool, "exec", "--report", report, "--demo"});
  INFO(demo.out << demo.err);
  CHECK(demo.exit_code == 0);
  CHECK(contains(demo.out, "getrandom-probe: 1000 calls of 16 bytes, all served"));
  CHECK(nlohmann::json::parse(test_support::read_text_file(report))
            .at("processes")
            .at(0)
            .at("program") == prefix.probe.string());
}

TEST_CASE("installed tool without its image names the installed path, not the build tree") {
  const Prefix prefix(false);
  const std::string tool = prefix.tool.string(), image = prefix.image.string();
  for (const auto& command : {std::vector<std::string>{tool, "run"},
                              {tool, "abi", "--reference", VDSOFORGE_TEST_IMAGE},
                              {tool, "exec", "--", "/bin/true"}}) {
    const auto result = run_program(command);
    INFO(command[1] << ": " << result.out << result.err);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, image));
    CHECK_FALSE(contains(result.err, VDSOFORGE_TEST_IMAGE));
  }
}

TEST_CASE("the tool in its build tree defaults to the image built there") {
  const auto run = test_support::run_tool({"run", "--hex", "-n", "16"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.out, "image " VDSOFORGE_TEST_IMAGE "\n"));
}
