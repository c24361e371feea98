// `vdsoforge ctl SOCKET clock-offset|clock-mode|clock` against a program
// running under `vdsoforge exec --control SOCKET`: a C probe, run again
// after each command inside the traced tree, reads the changed clocks
// through the image.  The probe runs with the clock system calls killing it
// (forbid_clock_syscalls), so its exit status tells whether the image served
// its clocks (0) or sent them to the kernel (SIGSYS, 159 in the shell).
#include <time.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "clock_control.h"
#include "files.h"
#include "tool_runner.h"

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * kSecond + ts.tv_nsec;
}

// One run of the probe: its exit status and the realtime it printed.
struct ProbeRead {
  int status = -1;
  int64_t realtime = 0;
};

// The shell prints "read STATUS REALTIME" for every probe run ("-" for the
// realtime of a probe that was killed); everything else is ctl's output.
std::vector<ProbeRead> probe_reads(const std::string& out) {
  std::vector<ProbeRead> reads;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag, realtime;
    ProbeRead read;
    if (!(words >> tag >> read.status >> realtime) || tag != "read") continue;
    read.realtime = realtime == "-" ? 0 : std::stoll(realtime);
    reads.push_back(read);
  }
  return reads;
}

}  // namespace

TEST_CASE("ctl shifts the clocks and switches the clock mode of a program under exec, live") {
  test_support::TempDir dir;
  const std::string socket = dir.path("ctl.sock").string();
  // ctl runs inside the traced tree, where LeakSanitizer cannot run (ptrace).
  const std::string ctl =
      "LSAN_OPTIONS=detect_leaks=0 " + std::string(VDSOFORGE_TOOL) + " ctl " + socket;
  const std::string probe = "out=$(" + std::string(VDSOFORGE_TIME_FORBID_CLOCK_SYSCALLS) + " " +
                            VDSOFORGE_TIME_CLOCK_PROBE +
                            "); s=$?; r=$(echo \"$out\" | sed -n 's/^realtime //p'); "
                            "echo read $s ${r:--}";
  const std::string script = probe + "; " +                                   // 0: no offset
                             ctl + " clock-offset +1000d; " + probe + "; " +  // 1: +1000 days
                             ctl + " clock-mode none; " + probe + "; " +      // 2: system calls
                             ctl + " clock-mode kernel; " + probe + "; " +    // 3: served again
                             ctl + " clock-offset -90s; " + probe + "; " +    // 4: back in time
                             ctl + " clock; " + ctl + " clock-mode tsc; echo bad=$?; " + ctl +
                             " clock-offset 5x; echo bad=$?; " + ctl + " clock 1; echo bad=$?";
  const int64_t before = realtime_ns();
  const test_support::ToolResult r =
      test_support::run_tool({"exec", "-q", "--control", socket, "--", "sh", "-c", script});
  const int64_t after = realtime_ns();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<ProbeRead> reads = probe_reads(r.out);
  REQUIRE(reads.size() == 5);

  const auto between = [&](const ProbeRead& read, int64_t shift) {
    CHECK(read.status == 0);
    CHECK(read.realtime >= before + shift);
    CHECK(read.realtime <= after + shift);
  };
  between(reads[0], 0);
  between(reads[1], 1000 * kDay);
  CHECK(reads[2].status == 159);  // 128 + SIGSYS: the image took the clock system call
  between(reads[3], 1000 * kDay);
  between(reads[4], -90 * kSecond);

  // The kernel's own clock mode is tsc here, pvclock or hvclock in a guest.
  CHECK(std::regex_search(r.out, std::regex("ok clock_offset=86400000000000000 "
                                            "clock_mode=(tsc|pvclock|hvclock) "
                                            "time_mode=follow_kernel")));
  CHECK(r.out.find("ok clock_offset=86400000000000000 clock_mode=none time_mode=schedule") !=
        std::string::npos);
  CHECK(std::regex_search(r.out, std::regex("ok clock_offset=-90000000000 "
                                            "clock_mode=(tsc|pvclock|hvclock) "
                                            "time_mode=follow_kernel")));
  CHECK(r.err.find("vdsoforge ctl: clock-mode takes none or kernel, not 'tsc'") !=
        std::string::npos);
  CHECK(r.err.find("\"5x\" is not a signed duration") != std::string::npos);
  CHECK(r.err.find("vdsoforge ctl: clock takes no value ('1' given)") != std::string::npos);
  CHECK(r.out.find("bad=2\nbad=2\nbad=2") != std::string::npos);
}

TEST_CASE("exec's side checks every clock command again, for any client of the socket") {
  // ctl checks its arguments before sending; exec's answer must not trust it.
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err);
  REQUIRE(image);
  vdsoforge::DataPage& page = *image->data_page();
  const auto answer = [&](const std::string& line) {
    return vdsoforge::exec::answer_clock_command(line, page).value_or("(not a clock command)");
  };
  CHECK(answer("clock-offset 1h") ==
        "error: clock-offset takes a signed nanosecond count, not \"clock-offset 1h\"");
  CHECK(answer("clock-offset") ==
        "error: clock-offset takes a signed nanosecond count, not \"clock-offset\"");
  CHECK(answer("clock-offset 99999999999999999999").starts_with("error: "));
  CHECK(answer("clock-mode pvclock") ==
        "error: clock-mode takes none or kernel, not \"clock-mode pvclock\"");
  CHECK(answer("reseed") == "(not a clock command)");
  // The kernel's own clock mode is tsc here, pvclock or hvclock in a guest.
  const int32_t mirrored = page.time()->clocks[vdsoforge::abi::kCsHresCoarse].clock_mode;
  REQUIRE(mirrored >= vdsoforge::abi::kClockModeTsc);
  REQUIRE(mirrored <= vdsoforge::abi::kClockModeHvclock);
  const std::string kernel_mode = mirrored == vdsoforge::abi::kClockModeTsc       ? "tsc"
                                  : mirrored == vdsoforge::abi::kClockModePvclock ? "pvclock"
                                                                                  : "hvclock";
  CHECK(answer("clock-offset -25") ==
        "ok clock_offset=-25 clock_mode=" + kernel_mode + " time_mode=follow_kernel");
  CHECK(page.realtime_offset().count() == -25);
  CHECK(answer("clock-mode none") == "ok clock_offset=-25 clock_mode=none time_mode=schedule");
  CHECK(answer("clock-mode kernel") ==
        "ok clock_offset=-25 clock_mode=" + kernel_mode + " time_mode=follow_kernel");

  // An image without time data answers every clock command with the reason.
  auto getrandom_only = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE, err);
  REQUIRE(getrandom_only);
  CHECK(vdsoforge::exec::answer_clock_command("clock", *getrandom_only->data_page()) ==
        "error: the image has no emulated time data (it exports no __vdso_clock_gettime)");
}
