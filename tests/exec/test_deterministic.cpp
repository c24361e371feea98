// `vdsoforge exec --deterministic SEED`: real consumers (glibc 2.41, Go 1.24)
// draw the same bytes in two runs with one seed and other bytes with another
// seed, while their calls stay on the image's fast path (the getrandom system
// calls exec answers are the key fetches, far fewer than the calls); the
// generation schedule is as repeatable; the answers keep the kernel's rules
// for flags, lengths and faulting buffers, case by case against the kernel
// itself.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "exec_harness.h"
#include "files.h"
#include "reference_chacha20.h"
#include "tool_runner.h"

using test_support::run_program;
using test_support::run_tool;
using test_support::TempDir;
using test_support::ToolResult;

namespace {

struct Replayed {
  exec_test::ProbeRun run;
  std::vector<uint8_t> bytes;  // every sample, in order
};

Replayed replay(const exec_test::Probe& probe, std::vector<std::string> options) {
  Replayed result;
  result.run = exec_test::run_probe({.probe = probe, .exec_options = std::move(options)});
  for (const auto& sample : result.run.samples)
    result.bytes.insert(result.bytes.end(), sample.begin(), sample.end());
  return result;
}

// The report's draws: numbered 0, 1, 2, ... in order, every getrandom
// system call the report counts among them, each naming its process.
void check_draw_log(const nlohmann::json& report) {
  const nlohmann::json& section = report.at("deterministic");
  uint64_t next = 0, getrandom_events = 0;
  std::string first_bad;  // checked once: a storm logs thousands of events
  for (const auto& event : section.at("events")) {
    if (event.at("kind") == "getrandom") ++getrandom_events;
    const bool named = event.at("pid").get<int>() > 0 && event.at("tid").get<int>() > 0;
    const bool in_order = event.at("draw").is_null() || event.at("draw").get<uint64_t>() == next;
    if ((!named || !in_order) && first_bad.empty()) first_bad = event.dump();
    if (!event.at("draw").is_null()) ++next;
  }
  CHECK(first_bad == "");
  CHECK(next == section.at("draws").get<uint64_t>());
  CHECK(getrandom_events == report.at("getrandom_syscalls").get<uint64_t>());
}

// Runs `probe` twice with seed 1234 and once with seed 1235.
void check_replays(const std::string& consumer, const exec_test::Probe& first,
                   const exec_test::Probe& second, const exec_test::Probe& other_seed,
                   uint64_t most_syscalls) {
  const Replayed a = replay(first, {"--deterministic", "1234"});
  const Replayed b = replay(second, {"--deterministic", "1234"});
  const Replayed c = replay(other_seed, {"--deterministic", "1235"});
  INFO("first: " << a.run.describe());
  INFO("second: " << b.run.describe());
  INFO("other seed: " << c.run.describe());
  REQUIRE(a.run.exit_status == 0);
  REQUIRE(b.run.exit_status == 0);
  REQUIRE(c.run.exit_status == 0);
  CHECK(a.run.outcome == exec_test::Outcome::used_vdso);
  CHECK(exec_test::output_problem(a.run.samples).empty());
  CHECK(a.bytes.size() >= 256 * 16);
  CHECK(a.bytes == b.bytes);
  CHECK(a.run.syscalls == b.run.syscalls);
  CHECK(c.bytes.size() == a.bytes.size());
  CHECK(c.bytes != a.bytes);
  // The fast path: system calls only to key the states (and the runtime's
  // own few), never per call.
  CHECK(a.run.syscalls <= most_syscalls);
  CHECK(a.run.syscalls * 50 < a.run.calls);
  check_draw_log(a.run.report);
  exec_test::summary(consumer + " --deterministic: " + std::to_string(a.run.calls) + " calls, " +
                     std::to_string(a.run.syscalls) + " getrandom syscalls, " +
                     std::to_string(a.bytes.size()) + " sample bytes " +
                     (a.bytes == b.bytes ? "identical" : "DIFFERENT") + " over two runs, " +
                     (c.bytes != a.bytes ? "different" : "IDENTICAL") + " with another seed");
}

// The first 16 bytes of draw `draw` as docs/exec.md defines the stream
// (ChaCha20, key = SEED as 8 little-endian bytes and 24 zero bytes, from
// block draw * 2^32), by the conformance suite's independent ChaCha20.
std::string documented_draw(uint64_t seed, uint64_t draw) {
  std::array<uint8_t, 32> key{};
  for (size_t i = 0; i < 8; ++i) key[i] = static_cast<uint8_t>(seed >> (8 * i));
  std::array<uint8_t, conformance::kReferenceBlockSize> block{};
  uint64_t counter = draw << 32;
  conformance::reference_chacha20_blocks(block, key, counter, 1);
  std::string hex;
  char digits[3];
  for (size_t i = 0; i < 16; ++i) {
    std::snprintf(digits, sizeof digits, "%02x", block[i]);
    hex += digits;
  }
  return hex;
}

std::map<std::string, std::pair<std::string, std::string>> edge_cases(const std::string& out) {
  std::map<std::string, std::pair<std::string, std::string>>
      cases;  // name -> (result+errno, bytes)
  std::istringstream in(out);
  std::string name, result, error, bytes;
  // "case=NAME result=N errno=E bytes=HEX": the values after each '='.
  const auto value = [](const std::string& word) { return word.substr(word.find('=') + 1); };
  while (in >> name >> result >> error >> bytes)
    cases[value(name)] = {value(result) + " " + value(error), value(bytes)};
  return cases;
}

}  // namespace

TEST_CASE("glibc 2.41 in deterministic runs: one seed, one output, another seed, another") {
  const auto consumers = exec_test::require_consumers();
  TempDir dir;
  // One thread, then one forked child (its state is wiped and rekeyed):
  // every draw happens in an order no scheduler can change.
  const exec_test::ProbeWorkload workload{.threads = 0, .calls = 2000, .children = 1};
  const auto probe = [&](const char* name) {
    return exec_test::glibc_probe(consumers, workload, dir.path(name));
  };
  check_replays("glibc 2.41", probe("a"), probe("b"), probe("c"), 2 + exec_test::kSyscallSlack);
}

TEST_CASE("Go 1.24 in deterministic runs: one seed, one output, another seed, another") {
  const auto consumers = exec_test::require_consumers(/*need_go=*/true);
  TempDir dir;
  // One goroutine drawing, on one P: with more Ps the scheduler moves it
  // between OS threads mid-run (each has its own state, keyed when first
  // used), at moments no run repeats; measured: 12 runs of 20000 calls gave
  // 12 different outputs, with GOMAXPROCS=1 one.
  const exec_test::ProbeWorkload workload{.threads = 0, .calls = 3000};
  const auto probe = [&](const char* name) {
    exec_test::Probe probe = exec_test::go_probe(consumers, workload, dir.path(name));
    probe.command.insert(probe.command.begin(), {"/usr/bin/env", "GOMAXPROCS=1"});
    return probe;
  };
  check_replays("Go 1.24", probe("a"), probe("b"), probe("c"), 1 + exec_test::kSyscallSlack);
}

TEST_CASE("the generation schedule of deterministic runs (a bump every N calls) repeats too") {
  const auto consumers = exec_test::require_consumers();
  TempDir dir;
  const exec_test::ProbeWorkload workload{.threads = 0, .calls = 3000, .children = 0};
  // A bump after every drawing call: each key fetch leaves the state stale,
  // so every call reseeds; a storm, but one every run repeats.
  const std::vector<std::string> storm = {"--deterministic", "99", "--deterministic-bump-every",
                                          "1"};
  const Replayed a = replay(exec_test::glibc_probe(consumers, workload, dir.path("a")), storm);
  const Replayed b = replay(exec_test::glibc_probe(consumers, workload, dir.path("b")), storm);
  const Replayed still =
      replay(exec_test::glibc_probe(consumers, workload, dir.path("c")), {"--deterministic", "99"});
  INFO("storm: " << a.run.describe());
  INFO("storm again: " << b.run.describe());
  INFO("no bumps: " << still.run.describe());
  REQUIRE(a.run.exit_status == 0);
  REQUIRE(b.run.exit_status == 0);
  REQUIRE(still.run.exit_status == 0);
  CHECK(a.bytes == b.bytes);
  CHECK(a.bytes != still.bytes);
  CHECK(exec_test::output_problem(a.run.samples).empty());
  // Every call reseeded at least once.
  CHECK(a.run.syscalls >= a.run.calls);
  CHECK(still.run.syscalls <= 2 + exec_test::kSyscallSlack);
  const auto& section = a.run.report.at("deterministic");
  CHECK(section.at("generation_bumps") == section.at("draws").get<uint64_t>() - 1);  // AT_RANDOM
  CHECK(section.at("generation_bumps") == b.run.report.at("deterministic").at("generation_bumps"));
  CHECK(a.run.report.at("final_generation") == b.run.report.at("final_generation"));
  check_draw_log(a.run.report);
  exec_test::summary("glibc 2.41 --deterministic-bump-every 1: " + std::to_string(a.run.calls) +
                     " calls, " + std::to_string(a.run.syscalls) + " getrandom syscalls, " +
                     section.at("generation_bumps").dump() + " bumps, identical over two runs");
}

TEST_CASE("deterministic runs answer getrandom's edge cases as the kernel does") {
  const std::string probe = VDSOFORGE_GETRANDOM_EDGES_PROBE;
  const ToolResult native = run_program({probe});
  const ToolResult native_again = run_program({probe});
  TempDir dir;
  const std::string report = dir.path("report.json").string();
  const ToolResult seeded =
      run_tool({"exec", "-q", "--deterministic", "0x1f", "--report", report, "--", probe});
  const ToolResult seeded_again = run_tool({"exec", "-q", "--deterministic", "31", "--", probe});
  const ToolResult other_seed = run_tool({"exec", "-q", "--deterministic", "32", "--", probe});
  INFO("native:\n" << native.out << native.err);
  INFO("--deterministic 0x1f:\n" << seeded.out << seeded.err);
  REQUIRE(native.exit_code == 0);
  REQUIRE(seeded.exit_code == 0);
  REQUIRE(seeded_again.exit_code == 0);
  REQUIRE(other_seed.exit_code == 0);
  const auto kernel = edge_cases(native.out);
  const auto kernel_again = edge_cases(native_again.out);
  const auto answered = edge_cases(seeded.out);
  const auto answered_again = edge_cases(seeded_again.out);
  const auto answered_other = edge_cases(other_seed.out);
  REQUIRE(kernel.size() == 23);
  REQUIRE(answered.size() == kernel.size());
  for (const auto& [name, outcome] : kernel) {
    INFO("case " << name);
    CHECK(answered.at(name).first == outcome.first);
    // The bytes: the kernel's differ run to run; the seed's repeat (0x1f
    // is 31) and follow the seed.
    CHECK(answered_again.at(name).second == answered.at(name).second);
    if (outcome.second != "-") {
      CHECK(kernel_again.at(name).second != outcome.second);
      CHECK(answered_other.at(name).second != answered.at(name).second);
    }
  }
  CHECK(kernel.at("insecure_random").first == "-1 22");
  CHECK(kernel.at("partial_1000").first == "96 0");
  CHECK(kernel.at("past_user_space").first == "-1 14");
  // The log: 22 calls, the refused ones without a draw.
  std::ifstream in(report);
  const nlohmann::json parsed = nlohmann::json::parse(in);
  check_draw_log(parsed);
  size_t calls = 0, refused = 0;
  for (const auto& event : parsed.at("deterministic").at("events")) {
    if (event.at("kind") != "getrandom") continue;
    ++calls;
    if (event.at("result").get<int64_t>() == -22) {
      ++refused;
      CHECK(event.at("draw").is_null());
    }
  }
  CHECK(calls == 22);
  CHECK(refused == 5);
  // The bytes are the documented stream's: AT_RANDOM took the first draw,
  // the first 64-byte call with flags 0 the next one drawn by the probe.
  std::optional<uint64_t> at_random_draw, flags_0_draw;
  for (const auto& event : parsed.at("deterministic").at("events")) {
    if (event.at("draw").is_null()) continue;
    const uint64_t draw = event.at("draw").get<uint64_t>();
    if (event.at("kind") == "at_random") at_random_draw = draw;  // the probe's own exec: last
    if (event.at("kind") == "getrandom" && event.at("length") == 64 && event.at("flags") == 0 &&
        !flags_0_draw)
      flags_0_draw = draw;
  }
  REQUIRE(at_random_draw);
  REQUIRE(flags_0_draw);
  CHECK(answered.at("at_random").second == documented_draw(31, *at_random_draw));
  CHECK(answered.at("flags_0").second == documented_draw(31, *flags_0_draw));
  exec_test::summary("getrandom edge cases under --deterministic: " +
                     std::to_string(answered.size()) + " cases as the kernel answers them");
}

TEST_CASE("the kernel's vdso_test_getrandom passes 2/2 in a deterministic run") {
  REQUIRE(std::filesystem::exists(VDSOFORGE_KERNEL_SELFTEST));
  TempDir dir;
  const std::string report = dir.path("report.json").string();
  const ToolResult r = run_tool(
      {"exec", "-q", "--deterministic", "3", "--report", report, "--", VDSOFORGE_KERNEL_SELFTEST});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("pass:2 fail:0") != std::string::npos);
  // Its traced child fails if any getrandom system call is handed the
  // caller's buffer: the calls exec answered were key fetches only.
  std::ifstream in(report);
  const nlohmann::json parsed = nlohmann::json::parse(in);
  check_draw_log(parsed);
  uint64_t key_fetches = 0;
  for (const auto& event : parsed.at("deterministic").at("events"))
    key_fetches += event.at("kind") == "getrandom" && event.at("length") == 32;
  CHECK(key_fetches >= 1);
  exec_test::summary("kernel vdso_test_getrandom under --deterministic: 2/2, " +
                     std::to_string(key_fetches) + " key fetches answered from the seed");
}

TEST_CASE("deterministic runs refuse bad seeds and clock-driven reseeds") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--deterministic", "seed"}, "is not an unsigned 64-bit number"},
      {{"--deterministic", "-1"}, "is not an unsigned 64-bit number"},
      {{"--deterministic", "18446744073709551616"}, "is not an unsigned 64-bit number"},
      {{"--deterministic", "1", "--deterministic-bump-every", "x"}, "is not a count"},
      {{"--deterministic-bump-every", "3"}, "needs --deterministic SEED"},
      {{"--deterministic", "1", "--reseed-every", "1ms"}, "moves the generation with time"},
  };
  for (const auto& [options, message] : refused) {
    std::vector<std::string> args = {"exec"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {"--", "true"});
    const ToolResult result = run_tool(args);
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(message) != std::string::npos);
  }
}
