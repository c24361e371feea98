// The messages of the first ten minutes (issue 18), one test per message:
// every command reports an input it cannot use in one style,
// "vdsoforge <command>: PATH: reason (code)", with exit status 2; unknown
// options are named; usage lines and counts read as English.
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <vector>

#include "files.h"
#include "image_mutations.h"
#include "tool_runner.h"

namespace {

using test_support::Bytes;
using test_support::corrupt_gnu_hash;
using test_support::read_file;
using test_support::read_text_file;
using test_support::run_tool;
using test_support::TempDir;
using test_support::ToolResult;
using test_support::write_file;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every command that reads an image, with `path` as that image.
std::vector<std::vector<std::string>> image_commands(const std::string& path) {
  return {{"run", path},
          {"abi", path},
          {"check", path},
          {"embed", path},
          {"exec", "--image", path, "--", "/bin/true"}};
}

// One line, "vdsoforge <command>: PATH: <reason> (<code>)", the path once.
void check_one_style(const std::vector<std::string>& command, const std::string& path,
                     const std::string& reason, const std::string& code) {
  const ToolResult result = run_tool(command);
  INFO(command[0] << ": " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err ==
        "vdsoforge " + command[0] + ": " + path + ": " + reason + " (" + code + ")\n");
}

}  // namespace

TEST_CASE("a missing file: 'PATH: No such file or directory (io)', exit 2, every command") {
  const std::string path = "/nonexistent/image.so";
  for (const auto& command : image_commands(path))
    check_one_style(command, path, "No such file or directory", "io");
}

TEST_CASE("an empty file is called empty, exit 2, every command") {
  TempDir dir;
  const std::string path = dir.path("empty.so").string();
  test_support::write_file(path, {});
  for (const auto& command : image_commands(path))
    check_one_style(command, path, "the file is empty (0 bytes), not an ELF image", "truncated");
}

TEST_CASE("a text file: 'not an ELF file', exit 2, every command") {
  TempDir dir;
  const std::string path = dir.path("text.so").string();
  test_support::write_file(path, test_support::Bytes(100, 'x'));
  for (const auto& command : image_commands(path))
    check_one_style(command, path, "not an ELF file: e_ident magic at offset 0x0 is not \\x7fELF",
                    "bad_magic");
}

TEST_CASE("a program: 'PATH: not a vDSO: <evidence> (not_a_vdso)', exit 2, every command") {
  const std::string path = "/bin/ls";
  for (const auto& command : image_commands(path)) {
    const ToolResult result = run_tool(command);
    INFO(command[0] << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(std::regex_match(result.err,
                           std::regex("vdsoforge " + command[0] +
                                      ": /bin/ls: not a vDSO: [0-9]+ program headers, [^\n]*"
                                      "DT_NEEDED [^\n]* \\(not_a_vdso\\)\n")));
  }
}

TEST_CASE("a directory: 'PATH: a directory, not an image (io)', exit 2, every command") {
  TempDir dir;
  const std::string path = dir.path("images").string();
  std::filesystem::create_directory(path);
  for (const auto& command : image_commands(path))
    check_one_style(command, path, "a directory, not an image", "io");
}

TEST_CASE("a second input is named before its path: abi's reference, check's --debug-image") {
  const ToolResult reference =
      run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", "/nonexistent/vdso.so"});
  CHECK(reference.exit_code == 2);
  CHECK(reference.err ==
        "vdsoforge abi: reference /nonexistent/vdso.so: No such file or directory (io)\n");
  const ToolResult debug = run_tool({"check", VDSOFORGE_TEST_IMAGE, "--stackless", "f",
                                     "--debug-image", "/nonexistent/image.so.dbg"});
  CHECK(debug.exit_code == 2);
  CHECK(
      debug.err ==
      "vdsoforge check: --debug-image /nonexistent/image.so.dbg: No such file or directory (io)\n");
}

TEST_CASE("a loader refusal names the command-line option, not the loader's API") {
  // The kernel's vDSO, saved by dump, has no chacha20-routines note: --chacha
  // cannot choose a routine in it (the loader says OpenOptions::chacha20).
  TempDir dir;
  const std::string kernel = dir.path("kernel-vdso.so").string();
  const ToolResult dump = run_tool({"dump", "-o", kernel});
  INFO(dump.err);
  REQUIRE(dump.exit_code == 0);
  const ToolResult result = run_tool({"run", "--chacha", "avx2", kernel});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err == "vdsoforge run: " + kernel +
                          ": --chacha asks for the avx2 ChaCha20 routine, but the image has no "
                          "chacha20-routines note (not_supported)\n");
  CHECK_FALSE(contains(result.err, "OpenOptions"));
}

TEST_CASE("run --timens on an image without the indirection names the option, not the API") {
  // The shipped images all emulate a time namespace; the getrandom-only one
  // has neither the pre-6.15 indirection nor time data.
  const ToolResult result = run_tool({"run", "--timens", VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.starts_with(std::string("vdsoforge run: ") +
                               VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE +
                               ": --timens: the image's data layout has no time-namespace"));
  CHECK(result.err.ends_with(" (not_supported)\n"));
  CHECK_FALSE(contains(result.err, "OpenOptions"));
}

TEST_CASE("exec names an unknown option, not the program after it") {
  const ToolResult result = run_tool({"exec", "--bogus", "--", "/bin/true"});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.starts_with("vdsoforge exec: unknown option --bogus"));
  CHECK_FALSE(contains(result.err, "/bin/true"));
}

TEST_CASE("an unknown option before any command is named") {
  const ToolResult result = run_tool({"--bogus"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.starts_with("vdsoforge: unknown option '--bogus' (commands: abi, "));
  CHECK_FALSE(contains(result.err, "subcommand"));
  // The tool's own options still work.
  CHECK(run_tool({"--version"}).exit_code == 0);
}

TEST_CASE("exec --help's usage line shows the program's command line") {
  const ToolResult help = run_tool({"exec", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(std::regex_search(help.out, std::regex("Usage: [^\n]* exec \\[OPTIONS\\] \\[--\\] "
                                               "PROGRAM \\[ARGS\\.\\.\\.\\]\n")));
}

TEST_CASE("ctl checks its command before connecting, with the ctl prefix, exit 2") {
  // No exec listens on this socket: each refusal comes before any connect.
  const std::string socket = "/nonexistent/ctl.sock";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"ctl", socket, "ready"}, "vdsoforge ctl: ready needs a value: ready 0 or ready 1\n"},
      {{"ctl", socket, "ready", "2"}, "vdsoforge ctl: ready takes 0 or 1, not '2'\n"},
      {{"ctl", socket, "reseed", "1"}, "vdsoforge ctl: reseed takes no value ('1' given)\n"},
      {{"ctl", socket, "bogus"},
       "vdsoforge ctl: unknown command 'bogus' (reseed | ready 0|1 | wipe | snapshot [--to FILE] | "
       "restore [--from FILE] | status | clock-offset OFFSET | clock-mode none|kernel | clock)\n"},
      {{"ctl", socket, "reseed", "--to", "states.bin"},
       "vdsoforge ctl: --to and --from go with snapshot and restore only\n"},
      {{"ctl", socket, "restore", "--to", "states.bin"},
       "vdsoforge ctl: --to FILE goes with snapshot only\n"},
      {{"ctl", socket, "snapshot", "--from", "states.bin"},
       "vdsoforge ctl: --from FILE goes with restore only\n"},
      {{"ctl", socket, "snapshot", "--to", "/" + std::string(5000, 'a')},
       "vdsoforge ctl: the snapshot file name is longer than 4096 bytes\n"},
      {{"ctl", socket, "clock-offset"},
       "vdsoforge ctl: clock-offset needs a value, e.g. clock-offset +1h or -1500ms\n"},
      {{"ctl", socket, "clock-offset", "1h30"},
       "vdsoforge ctl: clock-offset: \"1h30\" is not a signed duration such as +1h, -90s, "
       "1500ms or 25ns\n"},
      {{"ctl", socket, "clock-mode"}, "vdsoforge ctl: clock-mode needs a value: none or kernel\n"},
      {{"ctl", socket, "clock-mode", "tsc"},
       "vdsoforge ctl: clock-mode takes none or kernel, not 'tsc'\n"},
      {{"ctl", socket, "clock", "now"}, "vdsoforge ctl: clock takes no value ('now' given)\n"},
  };
  for (const auto& [command, message] : cases) {
    const ToolResult result = run_tool(command);
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.starts_with(message));
  }
  // A well-formed command with nobody listening: exit 1, the OS reason.
  const ToolResult nobody = run_tool({"ctl", socket, "status"});
  CHECK(nobody.exit_code == 1);
  CHECK(nobody.err.starts_with("vdsoforge ctl: cannot connect to " + socket + ": "));
  const ToolResult help = run_tool({"ctl", "--help"});
  CHECK_FALSE(contains(help.out, "(1x)"));
  CHECK(contains(
      help.out,
      "reseed | ready 0|1 | wipe | snapshot [--to FILE] | restore [--from FILE] | status"));
  CHECK(contains(help.out, "clock-offset OFFSET | clock-mode none|kernel | clock"));
  CHECK(contains(help.out, "clock-offset OFFSET sets the program's realtime offset"));
}

TEST_CASE("run -n with more digits than 64 bits hold says it is too many bytes") {
  const ToolResult result = run_tool({"run", "-n", "99999999999999999999"});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err,
                 "'99999999999999999999' is more than run draws at once (at most "
                 "1073741824 bytes, 1 GiB)"));
  CHECK_FALSE(contains(result.err, "not a byte count"));
}

TEST_CASE("exec's count line: singular for one, and it points at the report it wrote") {
  TempDir dir;
  const std::string report = dir.path("report.json").string();
  const ToolResult result =
      run_tool({"exec", "--count-syscalls", "--report", report, "--", "/bin/true"});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(std::regex_match(
      result.err, std::regex("vdsoforge exec: [0-9]+ getrandom system calls? in 1 process; " +
                             report + " has the details\n")));
  const ToolResult plain = run_tool({"exec", "--count-syscalls", "--", "/bin/true"});
  CHECK(std::regex_match(
      plain.err, std::regex("vdsoforge exec: [0-9]+ getrandom system calls? in 1 process\n")));
}

// A program that skips the image's clock (the bloom filter zeroed: glibc
// misses every symbol) reads it by system call, and --count-syscalls names
// those calls; the shipped image's own users make none.
TEST_CASE("exec --count-syscalls counts the time system calls by name") {
  TempDir dir;
  Bytes bytes = read_file(VDSOFORGE_TEST_IMAGE);
  corrupt_gnu_hash(bytes);
  const std::string damaged = dir.path("bloom-zeroed.so").string();
  write_file(damaged, bytes);
  const std::string report = dir.path("report.json").string();
  const ToolResult skipped = run_tool({"exec", "--allow-damaged", "--image", damaged,
                                       "--count-syscalls", "--report", report, "--", "/bin/date"});
  INFO(skipped.err);
  CHECK(skipped.exit_code == 0);
  CHECK(std::regex_search(
      skipped.err,
      std::regex("vdsoforge exec: [0-9]+ getrandom system calls?, [1-9][0-9]* clock_gettime in "
                 "1 process")));
  const std::string json = read_text_file(report);
  INFO(json);
  CHECK(std::regex_search(json, std::regex("\"clock_gettime\": [1-9]")));
  for (const char* name : {"gettimeofday", "time", "clock_getres", "getcpu"})
    CHECK(contains(json, "\"" + std::string(name) + "\": "));

  const ToolResult served =
      run_tool({"exec", "--count-syscalls", "--report", report, "--", "/bin/date"});
  CHECK(served.exit_code == 0);
  CHECK(std::regex_match(
      served.err, std::regex("vdsoforge exec: [0-9]+ getrandom system calls? in 1 process; " +
                             report + " has the details\n")));
  CHECK(contains(read_text_file(report), "\"clock_gettime\": 0"));

  const ToolResult uncounted = run_tool({"exec", "--report", report, "--", "/bin/true"});
  CHECK(uncounted.exit_code == 0);
  CHECK(contains(read_text_file(report), "\"time_syscalls\": null"));
}

TEST_CASE("exec --demo runs the shipped consumer through the image, few system calls") {
  const ToolResult result = run_tool({"exec", "--count-syscalls", "--demo"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(std::regex_search(result.out,
                          std::regex("getrandom-probe: vDSO at 0x[0-9a-f]+, "
                                     "__vdso_getrandom@LINUX_2\\.6 at \\+0x[0-9a-f]+\n")));
  CHECK(contains(result.out, "getrandom-probe: 1000 calls of 16 bytes, all served"));
  // The image serves from its state: a handful of key fetches, not a call each.
  std::smatch count;
  REQUIRE(std::regex_search(result.err, count, std::regex("exec: ([0-9]+) getrandom system call")));
  CHECK(std::stoi(count[1]) < 100);
  // With is_ready = 0 every call falls back to the kernel: the count sees them.
  const ToolResult not_ready = run_tool({"exec", "--count-syscalls", "--not-ready", "--demo"});
  REQUIRE(
      std::regex_search(not_ready.err, count, std::regex("exec: ([0-9]+) getrandom system call")));
  CHECK(std::stoi(count[1]) >= 1000);
  const ToolResult both = run_tool({"exec", "--demo", "--", "/bin/true"});
  CHECK(both.exit_code == 2);
  CHECK(contains(both.err,
                 "vdsoforge exec: --demo runs the demo consumer; give either --demo or a "
                 "PROGRAM, not both"));
}
