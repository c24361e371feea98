// A broken image must be caught end to end through a real consumer: the
// conformance suite's machine-code mutants of the built image, each run under
// `vdsoforge exec` with glibc 2.41, are caught by the program's own behaviour
// (it aborts), by the getrandom system-call count, or by the output check.
// The unpatched image, run the same way, passes all three.
#include <catch2/catch.hpp>
#include <sstream>

#include "exec_harness.h"
#include "files.h"
#include "image_mutants.h"
#include "tool_runner.h"

using namespace exec_test;
using conformance::FunctionRange;

namespace {

bool is_mnemonic(const ZydisDecodedInstruction& i, ZydisMnemonic m) { return i.mnemonic == m; }

// "" when the run looks like a healthy consumer on a working image.
std::string verdict(const ProbeRun& run) {
  if (run.outcome == Outcome::aborted) return "the program failed: " + run.describe();
  if (run.outcome != Outcome::used_vdso)
    return "getrandom syscall count: " + std::to_string(run.syscalls) + " for " +
           std::to_string(run.calls) + " calls and " + std::to_string(run.states) + " states (" +
           outcome_name(run.outcome) + ")";
  if (const std::string problem = output_problem(run.samples); !problem.empty())
    return "output check: " + problem;
  return {};
}

ProbeRun run_glibc(const std::string& image, const test_support::TempDir& dir) {
  const Consumers consumers = require_consumers();
  // The mutants break the SSE2 routine, so that is the one patched in.
  return run_probe({glibc_probe(consumers, {2, 3000, 1, 1, ""}, dir.path("samples.bin")),
                    image,
                    {"--chacha", "sse2"}});
}

}  // namespace

TEST_CASE("broken images are caught through glibc") {
  test_support::TempDir dir;
  std::string error;
  const auto shipped = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  const auto getrandom =
      conformance::find_function(VDSOFORGE_TEST_DEBUG_IMAGE, "__vdso_getrandom", error);
  const auto chacha = conformance::find_function(VDSOFORGE_TEST_DEBUG_IMAGE,
                                                 "vdsoforge_chacha20_blocks_sse2", error);
  INFO(error);
  REQUIRE(getrandom);
  REQUIRE(chacha);

  {
    const ProbeRun control = run_glibc(VDSOFORGE_TEST_IMAGE, dir);
    INFO("unpatched image: " << control.describe());
    REQUIRE(verdict(control).empty());
  }

  struct Mutant {
    const char* name;
    FunctionRange where;
    conformance::InstructionMatch match;
    // A bug that only a byte-for-byte comparison can show (the conformance
    // suite's job); here it is run and reported, not required to be caught.
    bool observable_through_consumer = true;
  };
  const std::vector<Mutant> mutants = {
      {"block counter does not advance (paddq NOPed)", *chacha,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand*) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_PADDQ);
       }},
      {"block counter not stored back (movq to memory NOPed)", *chacha,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOVQ) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY;
       },
       false},
      {"in_use never cleared (stores of 0 to byte 137 NOPed)", *getrandom,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOV) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                ops[0].mem.disp.value == 137 && ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                ops[1].imm.value.u == 0;
       }},
      {"reseed forgets to record the generation (stores to byte 128 from a register NOPed)",
       *getrandom,
       [](const ZydisDecodedInstruction& i, const ZydisDecodedOperand* ops) {
         return is_mnemonic(i, ZYDIS_MNEMONIC_MOV) && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
                ops[0].mem.disp.value == 128 && ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
       }},
  };
  size_t caught = 0, required = 0;
  for (const Mutant& mutant : mutants) {
    std::vector<uint8_t> bytes = shipped;
    const long sites =
        conformance::patch_function(bytes, mutant.where, mutant.match, conformance::nop_out, error);
    INFO(mutant.name << ": " << error);
    REQUIRE(sites > 0);  // the compiled code changed shape: update the mutant
    const std::string path = dir.path("mutant.so").string();
    test_support::write_file(path, bytes);
    const ProbeRun run = run_glibc(path, dir);
    const std::string why = verdict(run);
    INFO(run.describe());
    if (mutant.observable_through_consumer) {
      CHECK_FALSE(why.empty());
      caught += !why.empty();
      ++required;
    }
    summary(std::string("glibc 2.41 broken image \"") + mutant.name + "\": " +
            (why.empty() ? (mutant.observable_through_consumer ? "NOT CAUGHT"
                                                               : "not observable through glibc "
                                                                 "(the conformance suite's job)")
                         : "caught by " + why.substr(0, why.find(':'))));
  }
  std::ostringstream line;
  line << "glibc 2.41 broken images: " << caught << "/" << required << " caught";
  summary(line.str());
}
