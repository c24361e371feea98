// A clone of a real consumer's vgetrandom states (glibc 2.41 or Go 1.24 from
// Debian 13, chosen at build time), as a VM clone or a CRIU restore makes
// one: a first run of a probe (the original) saves its state pages between
// two steps (`ctl snapshot --to FILE`); a second run of the same probe (the
// clone), started beside it, writes them into its own states at the same
// point (`ctl restore --from FILE`).  Then both go on drawing, side by side.
// Without a generation change the clone serves the original's bytes; a bump
// in either makes them differ from the first draw after it.
//
// Both probes draw from one state (glibc: the main thread alone; Go: one
// goroutine locked to its OS thread), so the same draws meet the same state
// in both runs and the comparison is byte for byte, position for position.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "exec_harness.h"
#include "files.h"
#include "tool_runner.h"

using namespace exec_test;
namespace fs = std::filesystem;

namespace {

using Sample = std::array<uint8_t, 16>;

#if VDSOFORGE_EXEC_CONSUMER_GO
constexpr const char* kConsumer = "Go 1.24";
constexpr bool kNeedsGo = true;
#else
constexpr const char* kConsumer = "glibc 2.41";
constexpr bool kNeedsGo = false;
#endif

constexpr long kCallsPerStep = 1600;
constexpr int kSteps = 3;

// The probe drawing from one state, running `between` between its steps.
Probe one_state_probe(const fs::path& samples, const std::string& between, int steps = kSteps) {
  const Consumers consumers = require_consumers(kNeedsGo);
#if VDSOFORGE_EXEC_CONSUMER_GO
  return go_locked_probe(consumers, kCallsPerStep * steps, steps, between, samples);
#else
  return glibc_probe(consumers, {0, kCallsPerStep * steps, steps, 0, between}, samples);
#endif
}

// `ctl` runs inside the traced tree: LeakSanitizer cannot run under exec
// (a sanitizer build), so it is off for that command.
std::string ctl(const std::string& socket, const std::string& command) {
  return "LSAN_OPTIONS=detect_leaks=0 " + std::string(VDSOFORGE_TOOL) + " ctl " + socket + " " +
         command + " >/dev/null";
}

// Waits (at most 60 s) for `path` to exist; fails the step otherwise.
std::string wait_for(const fs::path& path) {
  return "i=0; while [ ! -e " + path.string() +
         " ]; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.1; done";
}

struct Half {
  ProbeRun run;
  std::vector<size_t> step_starts;  // the first sample of steps 2, 3, ...
  std::string socket;
};

// One run: a script between the steps records where each step's samples
// begin, then runs commands[step - 1].
Half run_half(const fs::path& dir, const std::string& name,
              const std::vector<std::string>& commands) {
  const fs::path samples = dir / (name + ".bin"), bounds = dir / (name + ".bounds"),
                 step = dir / (name + ".step"), script = dir / (name + ".sh");
  Half half;
  half.socket = (dir / (name + ".sock")).string();
  std::ofstream out(script);
  out << "step=$(($(cat " << step.string() << " 2>/dev/null || echo 0) + 1))\n"
      << "echo $step > " << step.string() << "\n"
      << "echo $(($(stat -c %s " << samples.string() << ") / 16)) >> " << bounds.string() << "\n"
      << "case $step in\n";
  for (size_t i = 0; i < commands.size(); ++i)
    out << (i + 1) << ") " << (commands[i].empty() ? "true" : commands[i]) << " ;;\n";
  out << "esac\n";
  out.close();
  half.run = run_probe({one_state_probe(samples, "sh " + script.string()),
                        VDSOFORGE_TEST_IMAGE,
                        {"--control", half.socket}});
  std::ifstream in(bounds);
  for (size_t at = 0; in >> at;) half.step_starts.push_back(at);
  return half;
}

const nlohmann::json& events_of(const ProbeRun& run) {
  static const nlohmann::json none = nlohmann::json::array();
  if (!run.report.is_object() || !run.report.contains("faults")) return none;
  return run.report["faults"]["events"];
}

std::string hex(const Sample& sample) {
  std::string text;
  char digits[3];
  for (uint8_t byte : sample) {
    std::snprintf(digits, sizeof digits, "%02x", byte);
    text += digits;
  }
  return text;
}

// Where the generation should move: before step 2 (right after the
// snapshot or the restore), before step 3, or never.
enum class Bump { never = 0, before_step_2 = 2, before_step_3 = 3 };

struct Pair {
  Half original, clone;
  std::string file;
};

// The original saves its states before step 2, then waits before step 3
// until the clone has restored them: both run at once from then on.
Pair run_pair(const test_support::TempDir& dir, Bump original_bump, Bump clone_bump) {
  const fs::path file = dir.path("states.bin"), restored = dir.path("restored");
  fs::remove(file);
  fs::remove(restored);
  for (const char* name : {"original", "clone"}) {
    fs::remove(dir.path(std::string(name) + ".step"));
    fs::remove(dir.path(std::string(name) + ".bounds"));
  }
  const std::string original_socket = dir.path("original.sock").string();
  const std::string clone_socket = dir.path("clone.sock").string();
  const auto bump = [](Bump when, int step, const std::string& socket) {
    return static_cast<int>(when) == step + 1 ? " && " + ctl(socket, "reseed") : std::string();
  };
  // commands[0] runs before step 2, commands[1] before step 3.
  const std::vector<std::string> original = {
      ctl(original_socket, "snapshot --to " + file.string()) +
          bump(original_bump, 1, original_socket),
      wait_for(restored) + bump(original_bump, 2, original_socket)};
  const std::vector<std::string> clone = {
      wait_for(file) + " && " + ctl(clone_socket, "restore --from " + file.string()) +
          bump(clone_bump, 1, clone_socket) + " && touch " + restored.string(),
      "true" + bump(clone_bump, 2, clone_socket)};
  auto original_half =
      std::async(std::launch::async, [&] { return run_half(dir.path(""), "original", original); });
  Pair pair;
  pair.clone = run_half(dir.path(""), "clone", clone);
  pair.original = original_half.get();
  pair.file = file.string();
  return pair;
}

// The generation the data page showed at each event of a run, and at its end.
std::vector<uint64_t> generations_of(const ProbeRun& run) {
  std::vector<uint64_t> seen;
  for (const auto& event : events_of(run)) seen.push_back(event["generation"].get<uint64_t>());
  seen.push_back(run.report.value("final_generation", uint64_t{0}));
  return seen;
}

// Whether only our bumps moved the generation: the kernel reseeds about once
// a minute, and both runs follow it (as a VM clone shares its original's
// kernel state until the hypervisor changes the VM generation ID).  Then
// the snapshot's and the restore's generations are equal, and each run ends
// on the generation of its last event.
bool kernel_stood_still(const Pair& pair) {
  const auto a = generations_of(pair.original.run), b = generations_of(pair.clone.run);
  return a.size() >= 2 && b.size() >= 2 && a[0] == b[0] && a.back() == a[a.size() - 2] &&
         b.back() == b[b.size() - 2];
}

std::vector<Sample> step_samples(const Half& half, int step) {
  const std::vector<Sample>& all = half.run.samples;
  const size_t begin = step == 1 ? 0 : half.step_starts.at(static_cast<size_t>(step - 2));
  const size_t end =
      step == kSteps ? all.size() : half.step_starts.at(static_cast<size_t>(step - 1));
  return {all.begin() + static_cast<long>(begin), all.begin() + static_cast<long>(end)};
}

size_t common_samples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  const std::set<Sample> in_a(a.begin(), a.end());
  size_t common = 0;
  for (const Sample& s : b) common += in_a.count(s);
  return common;
}

Pair run_checked_pair(const test_support::TempDir& dir, Bump original_bump, Bump clone_bump) {
  Pair pair;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    pair = run_pair(dir, original_bump, clone_bump);
    INFO(kConsumer << " original: " << pair.original.run.describe());
    INFO(kConsumer << " clone: " << pair.clone.run.describe());
    REQUIRE(pair.original.run.exit_status == 0);
    REQUIRE(pair.clone.run.exit_status == 0);
    REQUIRE(pair.original.step_starts.size() == kSteps - 1);
    REQUIRE(pair.clone.step_starts.size() == kSteps - 1);
    if (kernel_stood_still(pair)) return pair;
    WARN("the kernel reseeded during attempt " << attempt << ": run again");
  }
  FAIL("the kernel reseeded during each of 3 attempts");
  return pair;
}

}  // namespace

TEST_CASE("a clone without a generation change serves the original's bytes") {
  test_support::TempDir dir;
  const Pair pair = run_checked_pair(dir, Bump::never, Bump::never);
  const nlohmann::json& saved = events_of(pair.original.run);
  const nlohmann::json& restored = events_of(pair.clone.run);
  REQUIRE(saved.size() == 1);
  REQUIRE(restored.size() == 1);
  CHECK(saved[0]["action"] == "snapshot");
  CHECK(saved[0]["file"] == pair.file);
  CHECK(saved[0]["bytes"].get<uint64_t>() >= 4096);
  CHECK(restored[0]["action"] == "restore");
  CHECK(restored[0]["bytes"] == saved[0]["bytes"]);
  CHECK(restored[0]["errors"] == 0);
  CHECK(restored[0]["detail"].get<std::string>().find("same generation") != std::string::npos);

  // Before the clone: two runs, two keys, nothing in common.
  const auto a1 = step_samples(pair.original, 1), b1 = step_samples(pair.clone, 1);
  CHECK(common_samples(a1, b1) == 0);
  // After it: the same bytes, draw for draw, in both steps.
  for (int step = 2; step <= kSteps; ++step) {
    const auto a = step_samples(pair.original, step), b = step_samples(pair.clone, step);
    INFO("step " << step);
    REQUIRE(a.size() >= 16);
    CHECK(a == b);
  }
  // The clone never fetched a key its original did not: the restored state
  // was as good as its own.
  CHECK(pair.clone.run.syscalls == pair.original.run.syscalls);
  CHECK(output_problem(pair.original.run.samples).empty());
  const Sample first = step_samples(pair.original, 2).front();
  summary(std::string(kConsumer) + " clone, no bump: " + saved[0]["bytes"].dump() +
          " state bytes; after the restore " +
          std::to_string(pair.original.run.samples.size() - pair.original.step_starts[0]) + " of " +
          std::to_string(pair.original.run.samples.size() - pair.original.step_starts[0]) +
          " samples identical (original and clone both begin " + hex(first) + "), " +
          std::to_string(pair.original.run.syscalls) + " vs " +
          std::to_string(pair.clone.run.syscalls) + " getrandom syscalls");
}

TEST_CASE("a bump in the clone: the same bytes until it, others from the first draw after it") {
  test_support::TempDir dir;
  const Pair pair = run_checked_pair(dir, Bump::never, Bump::before_step_3);
  const auto a2 = step_samples(pair.original, 2), b2 = step_samples(pair.clone, 2);
  const auto a3 = step_samples(pair.original, 3), b3 = step_samples(pair.clone, 3);
  REQUIRE(a3.size() >= 16);
  CHECK(a2 == b2);
  CHECK(a3.front() != b3.front());  // the first draw after the bump
  CHECK(common_samples(a3, b3) == 0);
  // One key fetch more: the clone's state saw the generation move.
  CHECK(pair.clone.run.syscalls == pair.original.run.syscalls + 1);
  CHECK(output_problem(pair.clone.run.samples).empty());
  summary(std::string(kConsumer) + " clone bumped before step 3: step 2 identical (" +
          std::to_string(a2.size()) + " samples), step 3 " +
          std::to_string(common_samples(a3, b3)) + " in common (first draw " + hex(a3.front()) +
          " vs " + hex(b3.front()) + ")");
}

TEST_CASE("a bump right after the clone, in one or both: no byte in common from the first draw") {
  test_support::TempDir dir;
  const struct {
    Bump original, clone;
    const char* name;
    unsigned extra_fetches_original, extra_fetches_clone;
  } cases[] = {
      {Bump::never, Bump::before_step_2, "the clone", 0, 1},
      {Bump::before_step_2, Bump::never, "the original", 1, 0},
      {Bump::before_step_2, Bump::before_step_2, "both", 1, 1},
  };
  for (const auto& c : cases) {
    const Pair pair = run_checked_pair(dir, c.original, c.clone);
    INFO("bumped: " << c.name);
    std::vector<Sample> a, b;
    for (int step = 2; step <= kSteps; ++step) {
      const auto as = step_samples(pair.original, step), bs = step_samples(pair.clone, step);
      a.insert(a.end(), as.begin(), as.end());
      b.insert(b.end(), bs.begin(), bs.end());
    }
    REQUIRE(a.size() >= 32);
    CHECK(a.front() != b.front());
    CHECK(common_samples(a, b) == 0);
    // Each bumped run's state refetched its key once.  Without a bump of its
    // own the run fetched what a run without any clone fetches: the
    // original's own key, or, for the clone, the key it restored.
    CHECK(pair.original.run.syscalls - c.extra_fetches_original ==
          pair.clone.run.syscalls - c.extra_fetches_clone);
    summary(std::string(kConsumer) + " clone, bump right after it in " + c.name + ": " +
            std::to_string(common_samples(a, b)) + " of " + std::to_string(a.size()) +
            " samples in common (first draw " + hex(a.front()) + " vs " + hex(b.front()) + ")");
  }
}

namespace {

// The snapshot file's layout, written out here independently of exec's
// encoder (docs/exec.md, "Cloning a program's states").
template <typename T>
void put(std::string& out, T value) {
  for (size_t i = 0; i < sizeof value; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string snapshot_bytes(uint32_t version, const std::vector<std::vector<uint64_t>>& shape,
                           uint64_t generation = 1) {
  std::string out = "VFSTATE\n";
  put<uint32_t>(out, version);
  put<uint32_t>(out, static_cast<uint32_t>(shape.size()));
  put<uint64_t>(out, generation);
  for (const auto& process : shape) {
    put<uint32_t>(out, static_cast<uint32_t>(process.size()));
    for (uint64_t size : process) put<uint64_t>(out, size);
  }
  for (const auto& process : shape)
    for (uint64_t size : process) out.append(size, '\x5a');
  return out;
}

}  // namespace

TEST_CASE("snapshot files that are not, or do not fit, are refused with the reason") {
  test_support::TempDir dir;
  const struct {
    const char* name;
    std::string bytes;
    const char* message;
  } files[] = {
      {"text", "hello, world\n", "not a vdsoforge state snapshot (no \"VFSTATE\" magic at byte 0)"},
      {"version", snapshot_bytes(2, {{4096}}), "format version 2 (this vdsoforge reads version 1)"},
      {"short", snapshot_bytes(1, {{4096}}).substr(0, 14),
       "truncated at byte 12: the process count"},
      {"cut", snapshot_bytes(1, {{4096}}).substr(0, 4000),
       "the header describes 4096 bytes of states after byte 36, the file has 3964 (truncated)"},
      {"longer", snapshot_bytes(1, {{4096}}) + "x",
       "the header describes 4096 bytes of states after byte 36, the file has 4097 (trailing "
       "bytes)"},
      {"odd-size", snapshot_bytes(1, {{100}}), "process 1, mapping 1: size 100 at byte 28"},
      {"no-process", snapshot_bytes(1, {}), "process count 0 at byte 12 is not 1..4096"},
      {"shape", snapshot_bytes(1, {{4096}, {4096}, {8192, 4096}}),
       "the snapshot's states do not fit the program's: "},
  };
  const std::string socket = dir.path("control.sock").string();
  const fs::path codes = dir.path("codes"), errors = dir.path("errors");
  std::string between = "true";
  for (const auto& f : files) {
    const fs::path path = dir.path(f.name);
    std::ofstream(path, std::ios::binary) << f.bytes;
    between += "; " + ctl(socket, "restore --from " + path.string()) + " 2>>" + errors.string() +
               "; echo $? >> " + codes.string();
  }
  // No file, a directory, a FIFO (never waited on), a snapshot into a
  // directory that does not exist.
  between += "; mkfifo " + dir.path("fifo").string();
  for (const std::string& command :
       {"restore --from " + dir.path("none").string(), "restore --from " + dir.path("").string(),
        "restore --from " + dir.path("fifo").string(),
        "snapshot --to " + dir.path("no/such/dir/states.bin").string()})
    between +=
        "; " + ctl(socket, command) + " 2>>" + errors.string() + "; echo $? >> " + codes.string();
  // And after all that, a good snapshot: exec is still there.
  between += "; " + ctl(socket, "snapshot --to " + dir.path("good").string());
  // Two steps: the commands run once, between them.
  const ProbeRun run = run_probe({one_state_probe(dir.path("samples.bin"), between, 2),
                                  VDSOFORGE_TEST_IMAGE,
                                  {"--control", socket}});
  INFO(kConsumer << ": " << run.describe());
  REQUIRE(run.exit_status == 0);
  std::ifstream code_lines(codes);
  std::vector<int> exit_codes{std::istream_iterator<int>(code_lines), {}};
  CHECK(exit_codes == std::vector<int>(std::size(files) + 4, 2));
  std::ifstream error_lines(errors);
  std::vector<std::string> messages;
  for (std::string line; std::getline(error_lines, line);) messages.push_back(line);
  REQUIRE(messages.size() == std::size(files) + 4);
  for (size_t i = 0; i < std::size(files); ++i) {
    INFO(files[i].name << ": " << messages[i]);
    CHECK(messages[i].starts_with("vdsoforge ctl: exec refused 'restore --from "));
    CHECK(messages[i].find(dir.path(files[i].name).string() + ": " + files[i].message) !=
          std::string::npos);
  }
  CHECK(messages[std::size(files) + 0].find("cannot read " + dir.path("none").string() +
                                            ": No such file or directory") != std::string::npos);
  CHECK(messages[std::size(files) + 1].find("not a regular file") != std::string::npos);
  CHECK(messages[std::size(files) + 2].find(dir.path("fifo").string() + ": not a regular file") !=
        std::string::npos);
  CHECK(messages[std::size(files) + 3].find("cannot create ") != std::string::npos);
  // Each refusal is an event too, marked as one; the last snapshot worked.
  const nlohmann::json& events = events_of(run);
  REQUIRE(events.size() == std::size(files) + 5);
  for (size_t i = 0; i + 1 < events.size(); ++i)
    CHECK(events[i]["detail"].get<std::string>().starts_with("refused: "));
  CHECK(events.back()["errors"] == 0);
  CHECK(fs::file_size(dir.path("good")) > 4096);
  CHECK((fs::status(dir.path("good")).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
}
