// Ground truth for `vdsoforge abi --consumers`: for every altered image the
// abi tests make and every hash, version, binding, visibility, type, section
// and value corruption class, the glibc 2.41 and Go 1.24 models' prediction
// is compared with what the real consumer does when the altered image is its
// vDSO under `vdsoforge exec --allow-damaged`: used the image's getrandom,
// fell back to the system call, or aborted.
//
// The matrix (damage x consumer, predicted / observed) is printed as "[exec]"
// lines plus one summary line, and written as a Markdown table to
// consumer-matrix.md in the tests' build directory (docs/abi.md carries a
// copy from a run on Linux 6.18).
#include <elf.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "consumer_damages.h"
#include "consumer_sightings.h"
#include "consumers/consumer_model.h"
#include "exec_harness.h"
#include "image_mutations.h"
#include "tool_runner.h"
#include "vdsoforge/elf_image.h"

using namespace exec_test;
namespace consumers = vdsoforge::tools::consumers;

namespace {

Seen observe(const ProbeRun& run) {
  // exec's own refusals name themselves and happen before the probe starts.
  if (run.exit_status == 2 && run.calls == 0 &&
      run.err.find("vdsoforge exec: ") != std::string::npos && run.out.empty())
    return Seen::exec_refused;
  switch (run.outcome) {
    // The statistical output check needs the long runs of the consumer
    // tests; here the question is only which path the consumer took.
    case Outcome::used_vdso:
      return Seen::uses;
    case Outcome::fell_back:
      return Seen::falls_back;
    case Outcome::partial:
      return Seen::partly_uses;
    case Outcome::aborted:
      return Seen::aborts;
  }
  return Seen::aborts;
}

struct Cell {
  std::string predicted;  // outcome name and reason code
  std::optional<Seen> expected;
  Seen seen = Seen::aborts;
  std::string run;  // the run's numbers, for the report
};

std::string cell_text(const Cell& cell) {
  std::string text = cell.predicted + " / " + seen_name(cell.seen);
  if (!cell.expected) return text + " (not compared)";
  return text + (*cell.expected == cell.seen ? "" : " MISMATCH");
}

}  // namespace

TEST_CASE("each consumer model predicts what the real glibc 2.41 and Go 1.24 do", "[consumers]") {
  const Consumers installed = require_consumers(/*need_go=*/true);
  test_support::TempDir dir;
  const test_support::Bytes shipped = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  const std::vector<std::string> consumer_ids = {"glibc", "go"};

  size_t compared = 0, agreed = 0, uncompared = 0;
  std::ostringstream table;
  table << "| damage | glibc 2.41: predicted / observed | Go 1.24: predicted / observed |\n"
        << "| --- | --- | --- |\n";
  for (const abi_test::Damage& damage : abi_test::consumer_damages()) {
    test_support::Bytes bytes = shipped;
    damage.apply(bytes);
    const std::string path = dir.path(damage.file_name + ".so").string();
    test_support::write_file(path, bytes);
    vdsoforge::ElfError err;
    const auto elf = vdsoforge::ElfImage::parse(bytes, vdsoforge::ParseMode::inspect, err);
    INFO(damage.name << ": " << err.message);
    REQUIRE(elf.has_value());  // the catalogue holds only images the models can read

    table << "| " << damage.name;
    for (const std::string& id : consumer_ids) {
      const consumers::ConsumerModel* model = consumers::find_model(id);
      REQUIRE(model != nullptr);
      const consumers::ConsumerVerdict verdict = model->evaluate(*elf);
      const auto symbol = std::find_if(verdict.symbols.begin(), verdict.symbols.end(),
                                       [](const auto& s) { return s.name == "__vdso_getrandom"; });
      REQUIRE(symbol != verdict.symbols.end());

      const ProbeWorkload workload{2, 400, 1, 0, ""};
      const Probe probe = id == "go" ? go_probe(installed, workload, dir.path("samples.bin"))
                                     : glibc_probe(installed, workload, dir.path("samples.bin"));
      const ProbeRun run = run_probe({probe, path, {"--allow-damaged"}});

      Cell cell;
      cell.predicted = std::string(consumers::outcome_name(symbol->outcome)) +
                       (symbol->reason_code.empty() ? "" : " [" + symbol->reason_code + "]");
      cell.expected = expected_sight(symbol->outcome);
      cell.seen = observe(run);
      cell.run = run.describe();
      INFO(id << " on \"" << damage.name << "\": predicted " << cell.predicted << " ("
              << symbol->reason << "), observed " << seen_name(cell.seen) << ": " << cell.run
              << "\n"
              << run.err.substr(0, 2000));
      CHECK(cell.seen != Seen::exec_refused);  // every damage must reach the consumer
      if (cell.expected) {
        ++compared;
        agreed += *cell.expected == cell.seen;
        CHECK(seen_name(*cell.expected) == std::string(seen_name(cell.seen)));
      } else {
        ++uncompared;
      }
      summary("consumer verdict: " + id + " on \"" + damage.name + "\": " + cell_text(cell));
      table << " | " << cell_text(cell);
    }
    table << " |\n";
  }
  std::ofstream(VDSOFORGE_CONSUMER_MATRIX) << table.str();
  std::ostringstream line;
  line << "consumer matrix: " << abi_test::consumer_damages().size() << " damages x "
       << consumer_ids.size() << " consumers (glibc 2.41, Go 1.24): " << agreed << "/" << compared
       << " predicted = observed, " << (compared - agreed) << " mismatches, " << uncompared
       << " unpredictable (not compared)";
  summary(line.str());
}

TEST_CASE("a damaged image is refused unless --allow-damaged is given") {
  test_support::TempDir dir;
  test_support::Bytes bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  test_support::corrupt_gnu_hash(bytes);
  const std::string path = dir.path("bloom-zeroed.so").string();
  test_support::write_file(path, bytes);
  const test_support::ToolResult refused =
      test_support::run_tool({"exec", "--image", path, "--", "true"});
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("bloom") != std::string::npos);
  const test_support::ToolResult allowed =
      test_support::run_tool({"exec", "--allow-damaged", "--image", path, "--", "true"});
  INFO(allowed.err);
  CHECK(allowed.exit_code == 0);
  CHECK(allowed.err.find("--allow-damaged: " + path + " breaks ") != std::string::npos);
  CHECK(allowed.err.find("does not find exported symbol __vdso_getrandom") != std::string::npos);
}
