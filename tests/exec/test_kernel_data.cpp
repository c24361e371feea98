// `vdsoforge exec --kernel-data`: the image reads the program's own kernel
// data pages ([vvar] and [vvar_vclock] moved below it), so its clocks are the
// kernel's read for read, coarse ones included, and its getrandom follows the
// kernel's real generation.  And every combination it cannot serve is
// refused with the reason.
#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "exec_harness.h"
#include "files.h"
#include "skip.h"
#include "tool_runner.h"

using namespace exec_test;
using test_support::run_program;
using test_support::run_tool;
using test_support::TempDir;
using test_support::ToolResult;

namespace {

// Enough reads to span a few hundred kernel ticks (4 ms at HZ=250).
constexpr const char* kIterations = "200000";

long field(const std::string& out, const std::string& name) {
  const size_t at = out.find(name + "=");
  return at == std::string::npos ? -1 : std::stol(out.substr(at + name.size() + 1));
}

ToolResult probe_under_exec(std::vector<std::string> exec_options) {
  std::vector<std::string> args = {"exec", "-q"};
  args.insert(args.end(), exec_options.begin(), exec_options.end());
  args.insert(args.end(), {"--", VDSOFORGE_COARSE_CLOCK_PROBE, kIterations});
  return run_tool(args);
}

// The probe ran on the image, over the kernel's pages moved right below it.
void check_kernel_data_layout(const std::string& out) {
  CHECK(out.find("vdso=/memfd:vdsoforge-image") != std::string::npos);
  CHECK(out.find("kernel_vdso=unmapped") != std::string::npos);
  CHECK(out.find("vvar_vclock_ends_at_vdso=yes") != std::string::npos);
  CHECK(out.find("vvar_ends_at_vdso-0x2000") != std::string::npos);
}

}  // namespace

TEST_CASE("under --kernel-data the coarse clocks equal the kernel's, read for read") {
  for (int run = 0; run < 3; ++run) {
    const ToolResult result = probe_under_exec({"--kernel-data"});
    INFO("run " << run << "\n" << result.out << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(field(result.out, "violations") == 0);
    CHECK(field(result.out, "iterations") == std::stol(kIterations));
    // The reads spanned many ticks: the clocks moved while they were compared.
    CHECK(field(result.out, "ticks_realtime") >= 20);
    CHECK(field(result.out, "ticks_monotonic") >= 20);
    check_kernel_data_layout(result.out);
    if (run == 0)
      summary("--kernel-data coarse clocks: " +
              result.out.substr(result.out.find("iterations=")).substr(0, 80));
  }
}

TEST_CASE("the coarse-clock probe sees a clock that is not the kernel's") {
  // Its check can fail: the kernel's own vDSO passes it, an image whose
  // realtime is shifted does not.
  const ToolResult native = run_program({VDSOFORGE_COARSE_CLOCK_PROBE, "20000"});
  INFO(native.out << native.err);
  CHECK(native.exit_code == 0);
  CHECK(native.out.find("kernel_vdso=mapped") != std::string::npos);
  CHECK(native.out.find("vdso=[vdso]") != std::string::npos);
  const ToolResult shifted = probe_under_exec({"--clock-offset", "-1s"});
  INFO(shifted.out << shifted.err);
  CHECK(shifted.exit_code == 1);
  // The copy may also trail by ticks (its monotonic clock too), so only
  // this much is certain: the realtime read is at least the second behind.
  const size_t realtime = shifted.out.find("violation CLOCK_REALTIME_COARSE");
  REQUIRE(realtime != std::string::npos);
  const std::string behind = "(vdso - first syscall: ";
  const size_t delta = shifted.out.find(behind, realtime);
  REQUIRE(delta != std::string::npos);
  CHECK(std::stoll(shifted.out.substr(delta + behind.size())) <= -1'000'000'000);
}

// Whether this process may create a time namespace (CAP_SYS_ADMIN, bit 21
// of the effective set in /proc/self/status) or force a kernel reseed.
static bool has_cap_sys_admin() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("CapEff:")) return (std::stoull(line.substr(7), nullptr, 16) >> 21) & 1;
  return false;
}

TEST_CASE("inside a real time namespace the coarse clocks are still the kernel's") {
  if (!has_cap_sys_admin()) vdsoforge_skip("a time namespace (unshare --time) needs CAP_SYS_ADMIN");
  // The kernel maps the namespace's page at the time slot of the moved
  // [vvar] and the real one at the timens slot; the image takes the
  // namespace path and adds the offsets, as the kernel's vDSO does.
  timespec outside{};
  REQUIRE(clock_gettime(CLOCK_MONOTONIC_COARSE, &outside) == 0);
  const ToolResult result = run_program(
      {"unshare", "--fork", "--time", "--monotonic", "86400", "--boottime", "86400", VDSOFORGE_TOOL,
       "exec", "-q", "--kernel-data", "--", VDSOFORGE_COARSE_CLOCK_PROBE, kIterations});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(field(result.out, "violations") == 0);
  CHECK(field(result.out, "ticks_monotonic") >= 20);
  // The namespace's offset shows in the clock the image served.
  CHECK(field(result.out, "monotonic_coarse_s") >= outside.tv_sec + 86400);
  check_kernel_data_layout(result.out);
}

TEST_CASE("the kernel's own vDSO, saved by dump, runs on its moved pages under --kernel-data") {
  TempDir dir;
  const std::string kernel_image = dir.path("kernel-vdso.so").string();
  REQUIRE(run_tool({"dump", "-o", kernel_image}).exit_code == 0);
  const ToolResult result = probe_under_exec({"--kernel-data", "--image", kernel_image});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(field(result.out, "violations") == 0);
  check_kernel_data_layout(result.out);
}

TEST_CASE("the report says the data pages were the kernel's") {
  TempDir dir;
  const std::string report = dir.path("report.json").string();
  const ToolResult result = run_tool({"exec", "-q", "--kernel-data", "--report", report, "--",
                                      VDSOFORGE_COARSE_CLOCK_PROBE, "10"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  std::ifstream in(report);
  const nlohmann::json json = nlohmann::json::parse(in);
  CHECK(json["data_pages"] == "kernel");
  CHECK(json["options"]["kernel_data"] == true);
  CHECK(json["final_generation"].is_null());
  CHECK(json["outcome"]["exit_code"] == 0);
}

TEST_CASE("exec --kernel-data refuses an image of another kernel's data layout") {
  for (const char* profile : {"linux-6.11", "linux-6.13"}) {
    const std::string image =
        std::string(VDSOFORGE_TEST_PROFILE_IMAGE_DIR) + "/vdsoforge-getrandom-" + profile + ".so";
    const ToolResult result =
        run_tool({"exec", "--kernel-data", "--image", image, "--", "/bin/true"});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("vdsoforge exec: --kernel-data: " + image + " is built for the " +
                          profile + " data layout (by its code), but Linux ") != std::string::npos);
    CHECK(result.err.find("lays its data pages out as linux-6.15: the image would read the "
                          "kernel's pages at the wrong places (use an image of the linux-6.15 "
                          "profile)") != std::string::npos);
  }
}

TEST_CASE("exec --kernel-data refuses every option that needs the emulated data pages") {
  TempDir dir;
  const std::string scenario = dir.path("bump.txt").string();
  std::ofstream(scenario) << "at 1ms bump\n";
  const struct {
    std::vector<std::string> options;
    std::string option, needs;
  } cases[] = {
      {{"--scenario", scenario},
       "--scenario",
       "injects its faults through the emulated data pages"},
      {{"--deterministic", "1"}, "--deterministic", "holds the emulated generation still"},
      {{"--deterministic", "1", "--deterministic-bump-every", "2"},
       "--deterministic",
       "holds the emulated generation still"},
      {{"--clock-offset", "+1h"}, "--clock-offset", "shifts the emulated time data"},
      {{"--reseed-every", "1ms"}, "--reseed-every", "bumps the emulated generation"},
      {{"--not-ready"}, "--not-ready", "clears is_ready in the emulated rng data"},
      {{"--hide-kernel-vdso"},
       "--hide-kernel-vdso",
       "would unmap the [vvar] pages --kernel-data gives the image (the kernel's [vdso] is "
       "unmapped with --kernel-data anyway)"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"exec", "--kernel-data"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.insert(args.end(), {"--", "/bin/true"});
    const ToolResult result = run_tool(args);
    INFO(c.option << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err == "vdsoforge exec: --kernel-data cannot be combined with " + c.option +
                            ": the program reads the kernel's own data pages, which exec cannot "
                            "change, and " +
                            c.option + " " + c.needs + "\n");
  }
}

TEST_CASE("under --kernel-data, ctl refuses the commands that change or show the data pages") {
  TempDir dir;
  const std::string socket = dir.path("control.sock").string();
  const std::string ctl =
      "LSAN_OPTIONS=detect_leaks=0 " + std::string(VDSOFORGE_TOOL) + " ctl " + socket + " ";
  // The program itself sends the commands, so exec surely listens meanwhile.
  const std::string script = ctl + "reseed; echo \"exit=$?\"; " + ctl + "ready 0; " + ctl +
                             "clock-offset +1h; " + ctl + "clock-mode none; " + ctl + "clock; " +
                             ctl + "status";
  const ToolResult result =
      run_tool({"exec", "-q", "--kernel-data", "--control", socket, "--", "/bin/sh", "-c", script});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  const std::string why =
      "error: exec runs with --kernel-data: the program reads the kernel's own data pages, which "
      "exec cannot change or show";
  for (const char* command :
       {"reseed", "ready 0", "clock-offset 3600000000000", "clock-mode none", "clock"})
    CHECK(result.err.find(std::string("vdsoforge ctl: exec refused '") + command + "': " + why) !=
          std::string::npos);
  CHECK(result.out.find("exit=2") != std::string::npos);
  CHECK(result.out.find("ok data=kernel") != std::string::npos);
}

TEST_CASE("glibc 2.41's getrandom runs from the image on the kernel's rng data [consumers]",
          "[consumers]") {
  TempDir dir;
  const Consumers consumers = require_consumers();
  const ProbeRun run =
      run_probe({glibc_probe(consumers, {2, 3000, 1, 2, ""}, dir.path("samples.bin")),
                 "",
                 {"--kernel-data"}});
  INFO(run.describe());
  CHECK(run.exit_status == 0);
  CHECK(run.outcome == Outcome::used_vdso);
  CHECK(run.syscalls <= run.states + kSyscallSlack);
  CHECK(output_problem(run.samples).empty());
  CHECK(run.report["data_pages"] == "kernel");
  summary("glibc 2.41 --kernel-data: " + std::to_string(run.calls) + " calls, " +
          std::to_string(run.syscalls) + " getrandom syscalls: " + outcome_name(run.outcome));
}

TEST_CASE("a kernel reseed makes every live glibc 2.41 state fetch a new key [consumers]",
          "[consumers]") {
  if (!has_cap_sys_admin())
    vdsoforge_skip("forcing a kernel reseed (RNDRESEEDCRNG) needs CAP_SYS_ADMIN");
  TempDir dir;
  const Consumers consumers = require_consumers();
  const int threads = 3, reseeds = 4;
  // Only the kernel's own generation moves: exec has no emulated page in
  // this mode, so more key fetches prove the image reads the kernel's.
  const auto run_with = [&](const std::string& between) {
    return run_probe({glibc_probe(consumers, {threads, 1500, reseeds + 1, 0, between},
                                  dir.path(between == "true" ? "quiet.bin" : "forced.bin")),
                      "",
                      {"--kernel-data"}});
  };
  const ProbeRun quiet = run_with("true");
  const ProbeRun forced = run_with(VDSOFORGE_KERNEL_CRNG_RESEED);
  INFO("without reseeds: " << quiet.describe());
  INFO("with kernel reseeds: " << forced.describe());
  REQUIRE(quiet.exit_status == 0);
  REQUIRE(forced.exit_status == 0);
  // On the image: key fetches only (exec forced no reseed itself, so the
  // harness's own verdict cannot count the kernel's).
  CHECK(forced.syscalls <= forced.states * (reseeds + 1) + kSyscallSlack);
  CHECK(forced.syscalls < forced.calls / 10);
  const long growth = static_cast<long>(forced.syscalls) - static_cast<long>(quiet.syscalls);
  // Every thread and main draw after every reseed: one key fetch per live
  // state and reseed, give or take one reseed the kernel made by itself.
  const long live = threads + 1;
  CHECK(growth >= live * (reseeds - 1));
  CHECK(growth <= live * (reseeds + 1));
  summary("glibc 2.41 --kernel-data, " + std::to_string(reseeds) +
          " kernel reseeds: " + std::to_string(growth) + " more getrandom syscalls (" +
          std::to_string(forced.syscalls) + " vs " + std::to_string(quiet.syscalls) + ")");
}
