// Real consumers read their clocks through the image: Debian 13's glibc 2.41
// (clock_gettime, gettimeofday, time, clock_getres) and Go 1.24 (time.Now,
// time.Since) run under `vdsoforge exec --clock-offset` with the clock system
// calls killing the process (seccomp).  Exit 0 proves no clock system call;
// the offset in what they print proves the image, not the kernel's vDSO,
// answered.
#include <time.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "skip.h"
#include "time_images.h"
#include "tool_runner.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kOffsetSeconds = 1000 * 86400;  // --clock-offset +1000d

std::map<std::string, int64_t> parse_lines(const std::string& out) {
  std::map<std::string, int64_t> values;
  std::istringstream lines(out);
  std::string name;
  int64_t value;
  while (lines >> name >> value) values[name] = value;
  return values;
}

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

test_support::ToolResult run_under_exec(const std::vector<std::string>& program) {
  std::vector<std::string> args{"exec",   "-q", "--clock-offset",
                                "+1000d", "--", VDSOFORGE_TIME_FORBID_CLOCK_SYSCALLS};
  args.insert(args.end(), program.begin(), program.end());
  return test_support::run_tool(args);
}

}  // namespace

TEST_CASE("glibc 2.41 reads every clock through the image, no clock system call") {
  const fs::path glibc_dir = fs::path(VDSOFORGE_CONSUMER_ROOT) / "usr/lib/x86_64-linux-gnu";
  const fs::path ld_so = glibc_dir / "ld-linux-x86-64.so.2";
  if (!fs::exists(ld_so)) vdsoforge_skip("no Debian 13 glibc (scripts/fetch-consumers.sh)");
  const int64_t before = realtime_ns();
  const auto result = run_under_exec(
      {ld_so.string(), "--library-path", glibc_dir.string(), VDSOFORGE_TIME_CLOCK_PROBE});
  const int64_t after = realtime_ns();
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);  // SIGSYS (159) had any clock call reached the kernel
  const auto v = parse_lines(result.out);
  const int64_t shift = kOffsetSeconds * 1'000'000'000;
  REQUIRE(v.count("realtime"));
  CHECK(v.at("realtime") >= before + shift);
  CHECK(v.at("realtime") <= after + shift);
  CHECK(v.at("tai") >= before + shift);
  CHECK(v.at("realtime_coarse") >= before + shift - time_test::kCoarseLag);
  CHECK(v.at("gettimeofday") / 1'000'000 >= before / 1'000'000'000 + kOffsetSeconds);
  // time() reads the mirrored seconds, which may trail (kCoarseLag < 1 s).
  CHECK(v.at("time") >= before / 1'000'000'000 - 1 + kOffsetSeconds);
  CHECK(v.at("time") <= after / 1'000'000'000 + kOffsetSeconds);
  // Monotonic clocks carry no offset.
  timespec mono{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  CHECK(v.at("monotonic") <= int64_t{mono.tv_sec} * 1'000'000'000 + mono.tv_nsec);
  CHECK(v.at("monotonic") > 0);
  CHECK(v.at("getres") == 1);
}

TEST_CASE("Go 1.24 reads time.Now and its monotonic clock through the image") {
  if (!fs::exists(VDSOFORGE_TIME_GO_PROBE))
    vdsoforge_skip("no Go probe (built from the fetched Go 1.24 by scripts/fetch-consumers.sh)");
  const int64_t before = realtime_ns();
  const auto result = run_under_exec({VDSOFORGE_TIME_GO_PROBE});
  const int64_t after = realtime_ns();
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto v = parse_lines(result.out);
  const int64_t shift = kOffsetSeconds * 1'000'000'000;
  REQUIRE(v.count("realtime"));
  CHECK(v.at("realtime") >= before + shift);
  CHECK(v.at("realtime") <= after + shift);
  CHECK(v.at("monotonic") >= 10'000'000);  // the 10 ms sleep, measured
  CHECK(v.at("monotonic") < 5'000'000'000);
}
