// A real getrandom consumer (glibc 2.41 or Go 1.24 from Debian 13, chosen at
// build time) run under `vdsoforge exec` on each image: it must use the
// image's getrandom (few system calls: one key fetch per state and reseed),
// make a system call for every call when the data page says "not ready" or
// the image has no getrandom, refetch keys after forced reseeds, and produce
// output with no repeated block that passes a statistical check.
#include <catch2/catch.hpp>
#include <sstream>

#include "exec_harness.h"
#include "test_images.h"

using namespace exec_test;

namespace {

#if VDSOFORGE_EXEC_CONSUMER_GO
constexpr const char* kConsumer = "Go 1.24";
Probe make_probe(const Consumers& c, const ProbeWorkload& w, const std::filesystem::path& out) {
  return go_probe(c, w, out);
}
constexpr bool kNeedsGo = true;
constexpr int kChildren = 0;              // a Go program cannot fork without exec
constexpr long kCallsPerThread = 20'000;  // 5 goroutines: 100,000 calls
#else
constexpr const char* kConsumer = "glibc 2.41";
Probe make_probe(const Consumers& c, const ProbeWorkload& w, const std::filesystem::path& out) {
  return glibc_probe(c, w, out);
}
constexpr bool kNeedsGo = false;
constexpr int kChildren = 2;
constexpr long kCallsPerThread = 15'000;  // 5 threads + 2 children: 105,000 calls
#endif

ProbeRun run_on(const TestImage& image, const test_support::TempDir& dir,
                const ProbeWorkload& workload, std::vector<std::string> extra_options = {}) {
  const Consumers consumers = require_consumers(kNeedsGo);
  ExecRun request{make_probe(consumers, workload, dir.path("samples.bin")), image.path,
                  image.exec_options};
  request.exec_options.insert(request.exec_options.end(), extra_options.begin(),
                              extra_options.end());
  return run_probe(request);
}

}  // namespace

TEST_CASE("the consumer uses each image's getrandom, with sound output") {
  test_support::TempDir dir;
  for (const TestImage& image : consumer_images(dir)) {
    const ProbeRun run = run_on(image, dir, {4, kCallsPerThread, 1, kChildren, ""});
    INFO(kConsumer << " on " << image.name << ": " << run.describe());
    CHECK(run.exit_status == 0);
    CHECK(run.outcome == Outcome::used_vdso);
    CHECK(run.syscalls <= run.states * (run.reseeds + 1) + kSyscallSlack);
    CHECK(run.calls >= 100'000);
    const std::string problem = output_problem(run.samples);
    CHECK(problem.empty());
    std::ostringstream line;
    line << kConsumer << " on " << image.name << ": " << run.calls << " calls, " << run.syscalls
         << " getrandom syscalls, " << run.states << " states: " << outcome_name(run.outcome)
         << (problem.empty() ? ", output ok" : ", OUTPUT BAD: " + problem);
    summary(line.str());
  }
}

TEST_CASE("when the data page says not ready (--not-ready) every call is a system call") {
  test_support::TempDir dir;
  const ProbeRun run = run_on({"image", VDSOFORGE_TEST_IMAGE, {}}, dir, {2, 1500, 1, kChildren, ""},
                              {"--not-ready"});
  INFO(kConsumer << ": " << run.describe());
  CHECK(run.exit_status == 0);
  CHECK(run.outcome == Outcome::fell_back);
  CHECK(run.syscalls >= run.calls);
  CHECK(output_problem(run.samples).empty());
  summary(std::string(kConsumer) + " --not-ready: " + std::to_string(run.calls) + " calls, " +
          std::to_string(run.syscalls) + " getrandom syscalls: " + outcome_name(run.outcome));
}

TEST_CASE("on an image without getrandom (control) every call is a system call") {
  test_support::TempDir dir;
  const ProbeRun run = run_on(control_image_without_getrandom(), dir, {2, 1500, 1, kChildren, ""});
  INFO(kConsumer << ": " << run.describe());
  CHECK(run.exit_status == 0);
  CHECK(run.outcome == Outcome::fell_back);
  CHECK(run.syscalls >= run.calls);
  CHECK(output_problem(run.samples).empty());
  summary(std::string(kConsumer) +
          " control image without getrandom: " + std::to_string(run.calls) + " calls, " +
          std::to_string(run.syscalls) + " getrandom syscalls: " + outcome_name(run.outcome));
}

TEST_CASE("forced reseeds make every live state fetch a new key") {
  test_support::TempDir dir;
  const TestImage image{"image", VDSOFORGE_TEST_IMAGE, {}};
  const int threads = 4;
  const int reseeds = 5;
  const std::string socket = dir.path("control.sock").string();
  // `ctl` runs inside the traced tree; in a sanitizer build LeakSanitizer
  // cannot run under ptrace, so it is off for that command only.
  const std::string reseed = "LSAN_OPTIONS=detect_leaks=0 " + std::string(VDSOFORGE_TOOL) +
                             " ctl " + socket + " reseed >/dev/null";

  const ProbeRun quiet = run_on(image, dir, {threads, 1800, reseeds + 1, 0, "true"});
  const ProbeRun forced =
      run_on(image, dir, {threads, 1800, reseeds + 1, 0, reseed}, {"--control", socket});
  INFO(kConsumer << " without reseeds: " << quiet.describe());
  INFO(kConsumer << " with reseeds: " << forced.describe());
  REQUIRE(quiet.exit_status == 0);
  REQUIRE(forced.exit_status == 0);
  CHECK(quiet.reseeds == 0);
  CHECK(forced.reseeds == reseeds);
  CHECK(forced.outcome == Outcome::used_vdso);
  CHECK(output_problem(forced.samples).empty());
  const long growth = static_cast<long>(forced.syscalls) - static_cast<long>(quiet.syscalls);
#if VDSOFORGE_EXEC_CONSUMER_GO
  // Goroutines share Ms (one state each): at least one state draws after
  // every reseed, at most every thread's.
  CHECK(growth >= reseeds);
  CHECK(growth <= static_cast<long>(forced.states) * (reseeds + 1));
#else
  // Every thread (threads + main) draws after every reseed: exactly one key
  // fetch per live state and reseed, give or take one kernel reseed.
  const long live = threads + 1;
  CHECK(growth >= live * reseeds);
  CHECK(growth <= live * (reseeds + 1));
#endif
  summary(std::string(kConsumer) + " " + std::to_string(reseeds) +
          " forced reseeds: " + std::to_string(growth) + " more getrandom syscalls (" +
          std::to_string(forced.syscalls) + " vs " + std::to_string(quiet.syscalls) + ", " +
          std::to_string(forced.states) + " states)");
}

TEST_CASE("a reseed every millisecond (--reseed-every 1ms) keeps the consumer on the image") {
  test_support::TempDir dir;
  const ProbeRun run = run_on({"image", VDSOFORGE_TEST_IMAGE, {}}, dir,
                              {4, 10'000, 1, kChildren, ""}, {"--reseed-every", "1ms"});
  INFO(kConsumer << ": " << run.describe());
  CHECK(run.exit_status == 0);
  CHECK(run.reseeds > 0);
  CHECK(run.outcome == Outcome::used_vdso);
  CHECK(output_problem(run.samples).empty());
  summary(std::string(kConsumer) + " --reseed-every 1ms: " + std::to_string(run.reseeds) +
          " reseeds, " + std::to_string(run.syscalls) + " getrandom syscalls for " +
          std::to_string(run.calls) + " calls");
}
