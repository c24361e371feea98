// The ABI verdict's entry point in-process: evaluate() on loaded inputs,
// the exit status it maps to, and that every renderer says the same thing.
// (The tool's output for the same cases is pinned down by the abi_* and
// reports tests; these need no kernel and no child process.)
#include <catch2/catch.hpp>

#include "abi_fixtures.h"
#include "image_bytes.h"
#include "verdict/evaluate.h"
#include "verdict/verdict_json.h"
#include "verdict/verdict_reports.h"
#include "verdict/verdict_text.h"

using namespace vdsoforge;
using tools::verdict::Compatibility;
using tools::verdict::Input;

namespace {

Input parsed(const test_support::Bytes& bytes, const std::string& source) {
  ElfError err;
  Input input{.info = {.source = source}, .elf = ElfImage::parse(bytes, ParseMode::inspect, err)};
  REQUIRE(input.elf);
  return input;
}

Input unreadable(const std::string& source, bool running_kernel) {
  return Input{.info = {.source = source, .running_kernel = running_kernel},
               .error_code = "truncated",
               .error_message = source + ": too short"};
}

}  // namespace

TEST_CASE("evaluate: the built image against itself is compatible in every rendering") {
  const Input image = parsed(test_support::built_image(), "image.so");
  const auto verdict = tools::verdict::evaluate(image, image, {.consumers = true});
  REQUIRE(!verdict.failure);
  CHECK(verdict.compatibility() == Compatibility::compatible);
  CHECK(tools::verdict::exit_status(verdict) == 0);
  CHECK(verdict.failed() == 0);
  REQUIRE(verdict.consumers);

  const auto json = nlohmann::json::parse(tools::verdict::render_json(verdict));
  CHECK(json.at("schema") == tools::verdict::kJsonSchema);
  CHECK(json.at("verdict") == "compatible");
  CHECK(json.at("checks").size() == verdict.checks.size());
  CHECK(json.at("consumers").size() == verdict.consumers->size());
  CHECK(tools::verdict::render_text(verdict).find("Result: COMPATIBLE - all " +
                                                  std::to_string(verdict.checks.size()) +
                                                  " checks passed") != std::string::npos);
  // The CI reports carry the same checks, then one per consumer and symbol.
  const auto run = tools::verdict::check_run(verdict);
  REQUIRE(run.checks.size() > verdict.checks.size());
  for (size_t i = 0; i < verdict.checks.size(); ++i)
    CHECK(run.checks[i].id == verdict.checks[i].id);
  for (size_t i = verdict.checks.size(); i < run.checks.size(); ++i)
    CHECK(run.checks[i].group == "consumers");
  CHECK(run.error.empty());
}

TEST_CASE("evaluate: a broken rule is a failed check with the reference's value beside it") {
  auto bytes = test_support::built_image();
  test_support::add_stray_relocation(bytes);
  const Input image = parsed(bytes, "broken.so");
  const Input reference = parsed(test_support::built_image(), "reference.so");
  const auto verdict = tools::verdict::evaluate(image, reference, {});
  CHECK(verdict.compatibility() == Compatibility::incompatible);
  CHECK(tools::verdict::exit_status(verdict) == 1);
  CHECK(!verdict.consumers);
  const auto failed = abi_test::failed_ids(tools::verdict::to_json(verdict));
  CHECK(failed == std::vector<std::string>{"dynamic.no_relocations", "rules.parser"});
  for (const auto& check : verdict.checks) {
    if (check.id != "dynamic.no_relocations") continue;
    CHECK(check.expected == "none");
    CHECK(check.actual.find("DT_RELA") != std::string::npos);
  }
}

TEST_CASE("evaluate: an unreadable input is a failure, named in every rendering") {
  const Input good = parsed(test_support::built_image(), "good.so");
  SECTION("the image") {
    const auto verdict = tools::verdict::evaluate(unreadable("bad.so", false), good, {});
    REQUIRE(verdict.failure);
    CHECK(verdict.failure->input == "image");
    CHECK(verdict.failure->text == "bad.so: too short (truncated)");
    CHECK(tools::verdict::exit_status(verdict) == 2);
    CHECK(tools::verdict::render_text(verdict).empty());
    const auto json = tools::verdict::to_json(verdict);
    CHECK(json.at("compatible").is_null());
    CHECK(json.at("error").at("code") == "truncated");
    CHECK(json.at("error").at("message") == "bad.so: too short");
    const auto run = tools::verdict::check_run(verdict);
    CHECK(run.error == verdict.failure->text);
    CHECK(run.checks.empty());
  }
  SECTION("a reference file is named as the reference; the kernel's vDSO names itself") {
    const auto file = tools::verdict::evaluate(good, unreadable("ref.so", false), {});
    REQUIRE(file.failure);
    CHECK(file.failure->input == "reference");
    CHECK(file.failure->text == "reference ref.so: too short (truncated)");
    const auto kernel = tools::verdict::evaluate(good, unreadable("kernel", true), {});
    REQUIRE(kernel.failure);
    CHECK(kernel.failure->text == "kernel: too short (truncated)");
  }
}

TEST_CASE("evaluate: a --reference-profile the reference's code contradicts checks nothing") {
  const Input image = parsed(test_support::built_image(), "image.so");
  const Input reference =
      parsed(test_support::kernel_fixture(test_support::kDebian612Vdso), "linux-6.12.vdso");
  const auto* named = layout::profile_named("linux-6.15");
  REQUIRE(named != nullptr);
  const auto verdict = tools::verdict::evaluate(image, reference, {.reference_profile = named});
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->code == "profile_contradicted");
  CHECK(verdict.failure->text.starts_with("--reference-profile linux-6.15 contradicts"));
  CHECK(tools::verdict::exit_status(verdict) == 2);
  // The profile the code shows is no contradiction.
  const auto agreed = tools::verdict::evaluate(
      image, reference, {.reference_profile = layout::profile_named("linux-6.11")});
  CHECK(!agreed.failure);
}

TEST_CASE("evaluate: required consumers decide the exit status") {
  auto bytes = test_support::built_image();
  test_support::make_symbols_local_through(bytes, "__vdso_getrandom");
  const Input image = parsed(bytes, "local.so");
  const Input reference = parsed(test_support::built_image(), "reference.so");
  // LLVM libc ignores the binding (docs/abi.md); glibc refuses LOCAL symbols.
  const auto llvm =
      tools::verdict::evaluate(image, reference, {.required_consumers = {"llvm_libc"}});
  CHECK(llvm.unmet_consumers.empty());
  CHECK(tools::verdict::exit_status(llvm) == 0);
  const auto glibc = tools::verdict::evaluate(image, reference, {.required_consumers = {"glibc"}});
  CHECK(glibc.unmet_consumers == std::vector<std::string>{"glibc"});
  CHECK(tools::verdict::exit_status(glibc) == 1);
}
