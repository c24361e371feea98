// The first messages a new user meets, one test per message: every command
// says who is speaking ("vdsoforge <command>: "), gives the OS reason when a
// file cannot be opened, calls a text file "not an ELF file" and a program
// "not a vDSO" with the evidence, names a misspelt command, and refuses a
// `run -n` too large to be meant.
#include <catch2/catch.hpp>
#include <sstream>

#include "abi_fixtures.h"

using namespace abi_test;
using namespace test_support;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The commands as `vdsoforge --help` lists them, so a command added later is
// covered without editing this test.
std::vector<std::string> listed_commands() {
  const ToolResult help = run_tool({"--help"});
  REQUIRE(help.exit_code == 0);
  std::vector<std::string> commands;
  std::istringstream lines(help.out.substr(help.out.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) commands.push_back(name);
  }
  REQUIRE(commands.size() >= 5);
  return commands;
}

// Commands that take an image file as their first positional argument.
const std::vector<std::string> kImageCommands{"abi", "check", "embed"};

}  // namespace

TEST_CASE("a file that cannot be opened: the OS reason is in the message") {
  for (const std::string& command : kImageCommands) {
    INFO(command);
    const ToolResult missing = run_tool({command, "/nonexistent/image.so"});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "vdsoforge " + command + ": "));
    CHECK(contains(missing.err, "vdsoforge " + command +
                                    ": /nonexistent/image.so: No such file or directory (io)"));
  }
  TempDir dir;
  const ToolResult directory = run_tool({"abi", dir.path("").string()});
  CHECK(directory.exit_code == 2);
  CHECK(contains(directory.err, ": a directory, not an image (io)"));
}

TEST_CASE("a short text file is 'not an ELF file', not a truncated one") {
  TempDir dir;
  const auto path = dir.path("notes.txt").string();
  write_file(path, {'h', 'e', 'l', 'l', 'o', '\n'});
  for (const std::string& command : {"abi", "check", "embed", "run"}) {
    INFO(command);
    const ToolResult result = run_tool({command, path});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "vdsoforge " + command + ": "));
    CHECK(contains(result.err, path + ": not an ELF file"));
    CHECK(!contains(result.err, "truncated"));
  }
  // A prefix of a real image is still truncated.
  Bytes prefix = read_file(VDSOFORGE_TEST_IMAGE);
  prefix.resize(10);
  write_file(dir.path("prefix.so"), prefix);
  const ToolResult truncated = run_tool({"abi", dir.path("prefix.so").string()});
  CHECK(truncated.exit_code == 2);
  CHECK(contains(truncated.err, "truncated"));
}

TEST_CASE("a program given as the image is 'not a vDSO', with the evidence") {
  const std::string program = "/bin/ls";
  for (const std::string& command : {"abi", "check", "embed"}) {
    INFO(command);
    const ToolResult result = run_tool({command, program});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "vdsoforge " + command + ": "));
    CHECK(contains(result.err, "vdsoforge " + command + ": /bin/ls: not a vDSO: "));
    CHECK(contains(result.err, "loadable segments (a vDSO has one)"));
    CHECK(contains(result.err, "PT_INTERP /lib"));
    CHECK(contains(result.err, "DT_NEEDED "));
    CHECK(contains(result.err, "libc.so.6"));
    CHECK(!contains(result.err, "DT_VERSYM"));  // the parser's first stumble is not the point
  }
  const ToolResult json = run_tool({"abi", "--json", program});
  CHECK(json.exit_code == 2);
  CHECK(nlohmann::json::parse(json.out).at("error").at("code") == "not_a_vdso");
  // A broken vDSO is still judged as one: one extra segment is a failed check.
  TempDir dir;
  const auto two_loads = broken_image(dir, "two.so", add_second_load_segment);
  const ToolResult broken = run_tool({"check", two_loads});
  CHECK(broken.exit_code == 1);
  CHECK(!contains(broken.err, "not a vDSO"));
}

TEST_CASE("an unknown command is named; no command at all says a command is required") {
  const ToolResult unknown = run_tool({"abu", "image.so"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "vdsoforge: unknown command 'abu' (commands: abi, check"));
  CHECK(!contains(unknown.err, "A subcommand is required"));
  const ToolResult none = run_tool({});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "vdsoforge: a command is required (commands: "));
}

TEST_CASE("every command's usage errors start with 'vdsoforge <command>: '") {
  for (const std::string& command : listed_commands()) {
    INFO(command);
    const ToolResult result = run_tool({command, "--no-such-option"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.starts_with("vdsoforge " + command + ": "));
    CHECK(contains(result.err, "Run 'vdsoforge " + command + " --help'"));
  }
}

TEST_CASE("run -n refuses a count over 1 GiB and announces a large one") {
  const ToolResult huge = run_tool({"run", "-n", "99999999999999"});
  CHECK(huge.exit_code == 2);
  CHECK(huge.out.empty());  // not a byte written
  CHECK(contains(huge.err,
                 "vdsoforge run: -n 99999999999999 (93132.3 GiB) is more than run "
                 "draws at once (at most 1073741824 bytes, 1 GiB)"));
  const ToolResult large = run_tool({"run", "-n", "16777216", "--raw"});
  INFO(large.err);
  CHECK(large.exit_code == 0);
  CHECK(large.out.size() == 16777216);
  CHECK(contains(large.err,
                 "vdsoforge run: drawing 16777216 bytes (16.0 MiB), written raw to "
                 "stdout"));
  const ToolResult negative = run_tool({"run", "-n", "-1"});
  CHECK(negative.exit_code == 2);
  CHECK(contains(negative.err, "vdsoforge run: --bytes: '-1' is not a byte count (digits only)"));
  const ToolResult small = run_tool({"run", "-n", "1024", "--raw"});
  CHECK(small.exit_code == 0);
  CHECK(!contains(small.err, "vdsoforge run: drawing"));
}
