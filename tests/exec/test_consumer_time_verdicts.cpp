// Ground truth for the time symbols of `vdsoforge abi --consumers`: for the
// unaltered image, every image-wide hash-table and version damage, and every
// damage of one time symbol's own entry (tests/tools/consumer_damages.cpp),
// each model's per-symbol prediction for glibc 2.41 and Go 1.24 is compared
// with what the real consumer does when the altered image is its vDSO under
// `vdsoforge exec --allow-damaged --count-syscalls`.
//
// The probes call each time function the consumer serves from its vDSO N
// times, one function after the other (probes/time_calls.c: clock_gettime,
// gettimeofday, time, getcpu, clock_getres; probes/go_time: time.Now through
// __vdso_clock_gettime, syscall.Gettimeofday through __vdso_gettimeofday).
// Each function falls back to its own system call, which exec counts by
// number, so one run shows every symbol:
//
//   uses        its function's loop finished with no more than kSlack of
//               that system call in the whole run;
//   falls back  its loop finished and the run made at least one such system
//               call per call;
//   partly uses its loop finished with a count in between (a mismatch for
//               every prediction);
//   aborts      the run died (or failed a call) inside its loop; or before
//               main, when the model predicts the consumer fails reading the
//               image, or the consumer itself calls the symbol before main
//               (Go's clock), or no prediction explains the death;
//   not reached the run died earlier (a later loop never ran), or before main
//               through another symbol: nothing about this symbol was seen,
//               and it is not counted.
//
// A symbol a model says the consumer looks up but that its probe never calls
// is reported as "looked up, never called" and not counted either.  The
// matrix (damage x consumer, per symbol) is printed as "[exec]" lines plus one
// summary line and written to consumer-time-matrix.md in the tests' build
// directory (docs/abi.md carries a copy from a run on Linux 6.18).
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "consumer_damages.h"
#include "consumer_sightings.h"
#include "consumers/consumer_model.h"
#include "exec_harness.h"
#include "image_mutations.h"
#include "skip.h"
#include "tool_runner.h"
#include "vdsoforge/elf_image.h"

using namespace exec_test;
namespace consumers = vdsoforge::tools::consumers;
namespace fs = std::filesystem;

namespace {

constexpr long kCalls = 200;  // per function and run
// Time system calls a consumer that uses the image may still make besides
// its own fallbacks.  None were seen (the runs on the unaltered image count
// 0 of each); a few are tolerated so that an unrelated CPU-time clock read,
// which the image hands to the kernel, cannot pass for a fallback.  A
// fallback makes kCalls or more.
constexpr uint64_t kSlack = 4;

// One function the probe calls: the symbol it goes through when bound, the
// system call it makes instead, the line the probe prints once its calls are
// done, and whether the consumer calls it on its own before main (the Go
// runtime reads its clock while it starts).
struct Call {
  const char* symbol;
  const char* syscall;
  const char* done_line;
  bool before_main = false;  // the consumer itself calls it before main
};

struct ProbeSpec {
  std::string consumer;  // model id
  std::vector<std::string> command;
  std::vector<Call> calls;  // in the order the probe makes them
};

struct Run {
  int exit_status = -1;
  std::string out, err;
  std::map<std::string, uint64_t> syscalls;  // report's time_syscalls
  bool counted = false;                      // the report had them
  std::string report_end;                    // the report's outcome.end ("exited", "signal", ...)
};

Run run_under_exec(const std::string& image, const std::vector<std::string>& command,
                   const fs::path& report) {
  std::vector<std::string> args = {
      "exec",     "--quiet",       "--count-syscalls", "--allow-damaged",
      "--report", report.string(), "--image",          image,
      "--"};
  args.insert(args.end(), command.begin(), command.end());
  const test_support::ToolResult tool = test_support::run_tool(args);
  Run run;
  run.exit_status = tool.exit_code;
  run.out = tool.out;
  run.err = tool.err;
  std::ifstream in(report);
  const nlohmann::json json = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (json.is_object() && json.contains("outcome"))
    run.report_end = json["outcome"].value("end", std::string());
  if (json.is_object() && json.contains("time_syscalls") && json["time_syscalls"].is_object()) {
    run.counted = true;
    for (const auto& [name, count] : json["time_syscalls"].items())
      run.syscalls[name] = count.get<uint64_t>();
  }
  fs::remove(report);
  return run;
}

bool printed(const Run& run, const std::string& line) {
  std::istringstream lines(run.out);
  for (std::string l; std::getline(lines, l);)
    if (l == line) return true;
  return false;
}

struct Cell {
  std::string symbol;
  std::string predicted;  // outcome name and reason code
  std::optional<Seen> expected;
  Seen seen = Seen::aborts;
  uint64_t syscalls = 0;  // of the symbol's system call, in the run
};

bool compared(const Cell& cell) {
  return cell.expected && cell.seen != Seen::not_reached && cell.seen != Seen::never_called;
}

std::string cell_text(const Cell& cell) {
  std::string text = cell.predicted + " / " + seen_name(cell.seen);
  if (cell.seen == Seen::uses || cell.seen == Seen::falls_back || cell.seen == Seen::partly_uses)
    text += " (" + std::to_string(cell.syscalls) + " syscalls)";
  if (!compared(cell)) return text + " (not compared)";
  return text + (*cell.expected == cell.seen ? "" : " MISMATCH");
}

// What the run shows for each symbol the model lists (getrandom aside: the
// getrandom matrix covers it).
std::vector<Cell> observe(const ProbeSpec& probe, const consumers::ConsumerVerdict& verdict,
                          const Run& run) {
  std::vector<Cell> cells;
  const bool started = printed(run, "started");
  const bool finished = run.exit_status == 0 && printed(run, "calls " + std::to_string(kCalls));
  bool any_predicted_abort = false;
  for (const consumers::SymbolVerdict& symbol : verdict.symbols)
    if (symbol.name != "__vdso_getrandom" &&
        expected_sight(symbol.outcome) == std::optional<Seen>(Seen::aborts))
      any_predicted_abort = true;

  bool died_here_seen = false;  // the first unfinished loop is where the run died
  for (const Call& call : probe.calls) {
    const auto symbol = std::find_if(verdict.symbols.begin(), verdict.symbols.end(),
                                     [&](const auto& s) { return s.name == call.symbol; });
    if (symbol == verdict.symbols.end()) continue;  // the model does not look it up
    Cell cell;
    cell.symbol = call.symbol;
    cell.predicted = std::string(consumers::outcome_name(symbol->outcome)) +
                     (symbol->reason_code.empty() ? "" : " [" + symbol->reason_code + "]");
    cell.expected = expected_sight(symbol->outcome);
    const auto count = run.syscalls.find(call.syscall);
    cell.syscalls = count == run.syscalls.end() ? 0 : count->second;
    // exec's own refusals (exit 2) come before the program starts and leave
    // no report; a Go runtime that dies exits 2 too, but after exec wrote one.
    if (run.exit_status == 2 && !started && !run.counted &&
        run.err.find("vdsoforge exec: ") != std::string::npos)
      cell.seen = Seen::exec_refused;
    else if (printed(run, call.done_line) && run.counted)
      cell.seen = cell.syscalls >= static_cast<uint64_t>(kCalls) ? Seen::falls_back
                  : cell.syscalls <= kSlack                      ? Seen::uses
                                                                 : Seen::partly_uses;
    else if (!started) {
      // Dead before main.  A failure while reading the image (crashes,
      // exits) is the consumer's as a whole, and a symbol the consumer calls
      // before main was reached; any other symbol was not, unless no
      // prediction explains the death at all (then every symbol mismatches).
      const bool whole = symbol->outcome == consumers::Outcome::crashes ||
                         symbol->outcome == consumers::Outcome::exits;
      cell.seen =
          whole || call.before_main || !any_predicted_abort ? Seen::aborts : Seen::not_reached;
    } else if (!died_here_seen && !finished) {
      cell.seen = Seen::aborts;
      died_here_seen = true;
    } else {
      cell.seen = Seen::not_reached;
    }
    cells.push_back(cell);
  }
  // Symbols the model lists that no call of the probe goes through.
  for (const consumers::SymbolVerdict& symbol : verdict.symbols) {
    if (symbol.name == "__vdso_getrandom") continue;
    if (std::any_of(probe.calls.begin(), probe.calls.end(),
                    [&](const Call& c) { return symbol.name == c.symbol; }))
      continue;
    Cell cell;
    cell.symbol = symbol.name;
    cell.predicted = std::string(consumers::outcome_name(symbol.outcome));
    cell.expected = expected_sight(symbol.outcome);
    cell.seen = Seen::never_called;
    cells.push_back(cell);
  }
  return cells;
}

}  // namespace

TEST_CASE("each model's time-symbol predictions match what glibc 2.41 and Go 1.24 do",
          "[consumers]") {
  const Consumers installed = require_consumers();
  if (!fs::exists(VDSOFORGE_GO_TIME_CALLS_PROBE))
    vdsoforge_skip("no Go time-calls probe (built from the fetched Go 1.24)");
  test_support::TempDir dir;
  const test_support::Bytes shipped = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  const std::string calls = std::to_string(kCalls);
  const std::vector<ProbeSpec> probes = {
      {"glibc",
       {installed.ld_so.string(), "--library-path", installed.glibc_dir.string(),
        VDSOFORGE_TIME_CALLS_PROBE, calls},
       {{"__vdso_clock_gettime", "clock_gettime", "clock_gettime done"},
        {"__vdso_gettimeofday", "gettimeofday", "gettimeofday done"},
        {"__vdso_time", "time", "time done"},
        {"__vdso_getcpu", "getcpu", "getcpu done"},
        {"__vdso_clock_getres", "clock_getres", "clock_getres done"}}},
      {"go",
       {VDSOFORGE_GO_TIME_CALLS_PROBE, calls},
       {{"__vdso_clock_gettime", "clock_gettime", "time.Now done", /*before_main=*/true},
        {"__vdso_gettimeofday", "gettimeofday", "syscall.Gettimeofday done"}}},
  };

  size_t runs = 0, cells_compared = 0, agreed = 0, not_compared = 0, not_reached = 0,
         never_called = 0;
  std::ostringstream table;
  table << "| damage | glibc 2.41: symbol predicted / observed | Go 1.24: symbol predicted / "
           "observed |\n"
        << "| --- | --- | --- |\n";
  for (const abi_test::Damage& damage : abi_test::time_consumer_damages()) {
    test_support::Bytes bytes = shipped;
    damage.apply(bytes);
    const std::string path = dir.path(damage.file_name + ".so").string();
    test_support::write_file(path, bytes);
    vdsoforge::ElfError err;
    const auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::inspect, err);
    INFO(damage.name << ": " << err.message);
    REQUIRE(elf.has_value());

    table << "| " << damage.name;
    for (const ProbeSpec& probe : probes) {
      const consumers::ConsumerModel* model = consumers::find_model(probe.consumer);
      REQUIRE(model != nullptr);
      const consumers::ConsumerVerdict verdict = model->evaluate(*elf);
      const Run run = run_under_exec(path, probe.command, dir.path("report.json"));
      ++runs;
      INFO(probe.consumer << " on \"" << damage.name << "\": exit " << run.exit_status << "\n"
                          << run.err.substr(0, 2000));
      CHECK(run.counted);  // exec's report must carry the time system call counts
      CHECK((run.report_end == "exited" || run.report_end == "signal"));  // the probe ran
      std::string texts;
      for (const Cell& cell : observe(probe, verdict, run)) {
        INFO(probe.consumer << " on \"" << damage.name << "\", " << cell.symbol << ": "
                            << cell_text(cell) << "\nexit " << run.exit_status << ", stdout:\n"
                            << run.out << "stderr:\n"
                            << run.err.substr(0, 2000));
        CHECK(cell.seen != Seen::exec_refused);  // every damage must reach the consumer
        CHECK(cell.seen != Seen::partly_uses);
        if (cell.seen == Seen::never_called) ++never_called;
        if (cell.seen == Seen::not_reached) ++not_reached;
        if (compared(cell)) {
          ++cells_compared;
          agreed += *cell.expected == cell.seen;
          CHECK(seen_name(*cell.expected) == std::string(seen_name(cell.seen)));
        } else {
          ++not_compared;
        }
        summary("time consumer verdict: " + probe.consumer + " on \"" + damage.name + "\", " +
                cell.symbol + ": " + cell_text(cell));
        texts += (texts.empty() ? "" : "<br>") + cell.symbol + ": " + cell_text(cell);
      }
      table << " | " << texts;
    }
    table << " |\n";
  }
  std::ofstream(VDSOFORGE_CONSUMER_TIME_MATRIX) << table.str();
  std::ostringstream line;
  line << "consumer time matrix: " << abi_test::time_consumer_damages().size()
       << " damages x 2 consumers (glibc 2.41, Go 1.24), " << runs << " runs: " << agreed << "/"
       << cells_compared << " symbol predictions = observed, " << (cells_compared - agreed)
       << " mismatches, " << not_compared << " not compared (" << not_reached << " not reached, "
       << never_called << " looked up but never called)";
  summary(line.str());
}
