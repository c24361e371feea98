// The consumer models over altered images: for each corruption class, the
// outcome each consumer's own source predicts, asserted per consumer.
//
// The expectations are written from the consumers' rules (docs/abi.md,
// "Consumers"), independently of the models: glibc 2.41, Go 1.24 and the
// selftests' parse_vdso.c on this project's image (__vdso_getrandom), musl
// 1.2 and LLVM libc on the running kernel's vDSO (__vdso_clock_gettime,
// which this project's image does not export).
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "abi_fixtures.h"
#include "consumers/consumer_model.h"
#include "image_mutations.h"
#include "tool_runner.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"

namespace {

using test_support::Bytes;
using vdsoforge::ElfError;
using vdsoforge::ElfImage;
using vdsoforge::Error;
using vdsoforge::ParseMode;
using vdsoforge::tools::consumers::find_model;
using vdsoforge::tools::consumers::Outcome;
using vdsoforge::tools::consumers::outcome_name;

struct Expect {
  const char* consumer;
  Outcome outcome;
  const char* code;  // reason_code; "" when the consumer uses the image
};

constexpr Outcome kUses = Outcome::uses_vdso;
constexpr Outcome kFallback = Outcome::syscall_fallback;
constexpr Outcome kExits = Outcome::exits;
constexpr Outcome kCrashes = Outcome::crashes;
constexpr Outcome kWrong = Outcome::wrong_address;
constexpr Outcome kUnpredictable = Outcome::unpredictable;

Bytes built_image() { return test_support::read_file(VDSOFORGE_TEST_IMAGE); }

Bytes kernel_image() {
  Error err;
  const auto bytes = vdsoforge::kernel_vdso_bytes(err);
  INFO(err.message);
  REQUIRE(!bytes.empty());
  return Bytes(bytes.begin(), bytes.end());
}

void expect(const Bytes& bytes, const std::string& symbol, std::initializer_list<Expect> expects) {
  ElfError err;
  const auto elf = ElfImage::parse(bytes, ParseMode::inspect, err);
  INFO("parse: " << err.message);
  REQUIRE(elf.has_value());
  for (const Expect& e : expects) {
    const auto* model = find_model(e.consumer);
    REQUIRE(model != nullptr);
    const auto verdict = model->evaluate(*elf);
    const auto it = std::find_if(verdict.symbols.begin(), verdict.symbols.end(),
                                 [&](const auto& s) { return s.name == symbol; });
    REQUIRE(it != verdict.symbols.end());
    INFO(e.consumer << " " << symbol << ": " << outcome_name(it->outcome) << " [" << it->reason_code
                    << "] " << it->reason);
    CHECK(outcome_name(it->outcome) == outcome_name(e.outcome));
    CHECK(it->reason_code == e.code);
  }
}

// Our image, __vdso_getrandom, the three consumers that look it up.
void ours(const std::function<void(Bytes&)>& mutate, std::initializer_list<Expect> expects) {
  Bytes bytes = built_image();
  mutate(bytes);
  expect(bytes, "__vdso_getrandom", expects);
}

// The kernel's vDSO, __vdso_clock_gettime, for the consumers that only look
// up time functions.
void kernels(const std::function<void(Bytes&)>& mutate, std::initializer_list<Expect> expects) {
  Bytes bytes = kernel_image();
  mutate(bytes);
  expect(bytes, "__vdso_clock_gettime", expects);
}

const char* const kGetrandom = "__vdso_getrandom";
const char* const kClock = "__vdso_clock_gettime";

}  // namespace

TEST_CASE("unaltered images: every consumer uses what it looks up") {
  ours([](Bytes&) {}, {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels([](Bytes&) {},
          {{"glibc", kUses, ""}, {"go", kUses, ""}, {"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("bloom filter zeroed: glibc falls back, Go and parse_vdso never read it") {
  ours(test_support::corrupt_gnu_hash,
       {{"glibc", kFallback, "bloom_miss"}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels(test_support::corrupt_gnu_hash, {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("DT_GNU_HASH with 0 buckets: glibc skips the table, Go and parse_vdso divide by 0") {
  ours(test_support::empty_gnu_hash_buckets, {{"glibc", kFallback, "empty_hash_table"},
                                              {"go", kCrashes, "empty_hash_table"},
                                              {"parse_vdso", kCrashes, "empty_hash_table"}});
}

TEST_CASE("DT_HASH buckets zeroed: unused while DT_GNU_HASH exists; musl scans linearly") {
  ours(test_support::corrupt_sysv_hash,
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels(test_support::corrupt_sysv_hash, {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("GNU chain hash corrupted: every hash-table reader misses the symbol") {
  ours([](Bytes& b) { test_support::corrupt_gnu_hash_chain(b, kGetrandom); },
       {{"glibc", kFallback, "chain_mismatch"},
        {"go", kFallback, "chain_mismatch"},
        {"parse_vdso", kExits, "chain_mismatch"}});
  kernels([](Bytes& b) { test_support::corrupt_gnu_hash_chain(b, kClock); },
          {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("no DT_GNU_HASH: everyone falls back to DT_HASH") {
  ours([](Bytes& b) { test_support::hide_dynamic_tag(b, DT_GNU_HASH); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("no DT_HASH: musl gives up, the others read DT_GNU_HASH or no table") {
  ours([](Bytes& b) { test_support::hide_dynamic_tag(b, DT_HASH); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels([](Bytes& b) { test_support::hide_dynamic_tag(b, DT_HASH); },
          {{"musl", kFallback, "no_sysv_hash"}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("wrong vd_hash: glibc never checks it, Go and parse_vdso refuse the version") {
  ours([](Bytes& b) { test_support::corrupt_version_hash(b, "LINUX_2.6"); },
       {{"glibc", kUses, ""},
        {"go", kFallback, "vd_hash_mismatch"},
        {"parse_vdso", kExits, "vd_hash_mismatch"}});
  kernels([](Bytes& b) { test_support::corrupt_version_hash(b, "LINUX_2.6"); },
          {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("version renamed (vd_hash kept): only glibc still binds") {
  ours([](Bytes& b) { test_support::rename_version(b, "LINUX_2.6"); },
       {{"glibc", kUses, ""},
        {"go", kFallback, "version_missing"},
        {"parse_vdso", kExits, "version_name_mismatch"}});
  kernels([](Bytes& b) { test_support::rename_version(b, "LINUX_2.6"); },
          {{"musl", kFallback, "version_name_mismatch"},
           {"llvm_libc", kFallback, "version_name_mismatch"}});
}

TEST_CASE("version definition dropped: symbols at the base version") {
  ours(test_support::drop_last_version_definition,
       {{"glibc", kUses, ""},
        {"go", kFallback, "version_missing"},
        {"parse_vdso", kExits, "version_index_mismatch"}});
}

TEST_CASE("no DT_VERDEF (nor DT_VERSYM): Go follows a nil pointer, the others skip versions") {
  const auto unversioned = [](Bytes& b) {
    test_support::hide_dynamic_tag(b, DT_VERDEF);
    test_support::hide_dynamic_tag(b, DT_VERSYM);
  };
  ours(unversioned,
       {{"glibc", kUses, ""}, {"go", kCrashes, "no_verdef"}, {"parse_vdso", kUses, ""}});
  kernels(unversioned, {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("no DT_VERDEF (DT_VERSYM kept): Go follows a nil pointer, the others skip versions") {
  // The versym entries now name an index no definition gives: a broken rule
  // the parser lists, not a reason to refuse the image.
  ours([](Bytes& b) { test_support::hide_dynamic_tag(b, DT_VERDEF); },
       {{"glibc", kUses, ""}, {"go", kCrashes, "no_verdef"}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("no DT_VERSYM (DT_VERDEF kept): glibc's version check reads a NULL entry") {
  ours(
      [](Bytes& b) { test_support::hide_dynamic_tag(b, DT_VERSYM); },
      {{"glibc", kCrashes, "verdef_without_versym"}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("hidden version bit: nobody checks it in a vDSO look-up") {
  ours([](Bytes& b) { test_support::hide_symbol_version(b, kGetrandom); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels([](Bytes& b) { test_support::hide_symbol_version(b, kClock); },
          {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

// The symbol and those before it become LOCAL, with sh_info moved past them,
// so the table keeps LOCAL symbols first and only the binding is at stake.
TEST_CASE("LOCAL binding: refused by all but LLVM libc") {
  ours([](Bytes& b) { test_support::make_symbols_local_through(b, kGetrandom); },
       {{"glibc", kFallback, "local_binding"},
        {"go", kFallback, "binding"},
        {"parse_vdso", kExits, "binding"}});
  kernels([](Bytes& b) { test_support::make_symbols_local_through(b, kClock); },
          {{"musl", kFallback, "binding"}, {"llvm_libc", kUses, ""}});
}

// Out of order: the LOCAL alias follows the GLOBAL __vdso_getrandom and
// sh_info is left as it was.  Look-ups by hash chain never meet the alias.
TEST_CASE("getrandom LOCAL after the GLOBAL __vdso_getrandom: every consumer uses the image") {
  ours([](Bytes& b) { test_support::set_symbol_binding(b, "getrandom", STB_LOCAL); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("WEAK binding: accepted by all") {
  ours([](Bytes& b) { test_support::set_symbol_binding(b, kGetrandom, STB_WEAK); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("hidden visibility: only glibc looks at st_other") {
  ours([](Bytes& b) { test_support::set_symbol_visibility(b, kGetrandom, STV_HIDDEN); },
       {{"glibc", kFallback, "hidden_visibility"}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  kernels([](Bytes& b) { test_support::set_symbol_visibility(b, kClock, STV_HIDDEN); },
          {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("type NOTYPE: parse_vdso wants STT_FUNC") {
  ours([](Bytes& b) { test_support::set_symbol_type(b, kGetrandom, STT_NOTYPE); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kExits, "symbol_type"}});
}

TEST_CASE("type OBJECT: Go and parse_vdso want a function") {
  ours([](Bytes& b) { test_support::set_symbol_type(b, kGetrandom, STT_OBJECT); },
       {{"glibc", kUses, ""},
        {"go", kFallback, "symbol_type"},
        {"parse_vdso", kExits, "symbol_type"}});
  kernels([](Bytes& b) { test_support::set_symbol_type(b, kClock, STT_OBJECT); },
          {{"musl", kUses, ""}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("type SECTION: refused by all but LLVM libc") {
  ours([](Bytes& b) { test_support::set_symbol_type(b, kGetrandom, STT_SECTION); },
       {{"glibc", kFallback, "symbol_type"},
        {"go", kFallback, "symbol_type"},
        {"parse_vdso", kExits, "symbol_type"}});
  kernels([](Bytes& b) { test_support::set_symbol_type(b, kClock, STT_SECTION); },
          {{"musl", kFallback, "symbol_type"}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("SHN_UNDEF with its value kept: glibc and parse_vdso's GNU walk still bind it") {
  ours([](Bytes& b) { test_support::make_symbol_undefined(b, kGetrandom); },
       {{"glibc", kUses, ""}, {"go", kFallback, "undefined"}, {"parse_vdso", kUses, ""}});
  kernels([](Bytes& b) { test_support::make_symbol_undefined(b, kClock); },
          {{"musl", kFallback, "undefined"}, {"llvm_libc", kUses, ""}});
}

TEST_CASE("st_value 0: glibc refuses it, the others call the image's first byte") {
  ours([](Bytes& b) { test_support::zero_symbol_value(b, kGetrandom); },
       {{"glibc", kFallback, "zero_value"},
        {"go", kWrong, "wrong_address"},
        {"parse_vdso", kWrong, "wrong_address"}});
  kernels([](Bytes& b) { test_support::zero_symbol_value(b, kClock); },
          {{"musl", kWrong, "wrong_address"}, {"llvm_libc", kWrong, "wrong_address"}});
}

TEST_CASE("the abi tests' other alterations") {
  ours([](Bytes& b) { test_support::make_symbol_global(b, "getrandom"); },
       {{"glibc", kUses, ""}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
  // The stray DT_RELA comes without DT_RELAENT, which glibc's start-up
  // reads regardless (observed: SIGSEGV before main under vdsoforge exec).
  ours(test_support::add_stray_relocation, {{"glibc", kCrashes, "relocation_entry_size_missing"},
                                            {"go", kUses, ""},
                                            {"parse_vdso", kUses, ""}});
  // glibc takes the load bias from the first PT_LOAD with a non-zero
  // p_vaddr: the added segment's.
  ours(test_support::add_second_load_segment,
       {{"glibc", kUnpredictable, "load_bias"}, {"go", kUses, ""}, {"parse_vdso", kUses, ""}});
}

TEST_CASE("Go's symbol keys are the names' hashes") {
  // vdso_linux_amd64.go stores precomputed (SysV, GNU) hashes; the model
  // hashes the names, so the two must agree.
  CHECK(vdsoforge::elf_sysv_hash("__vdso_getrandom") == 0x25425du);
  CHECK(vdsoforge::elf_gnu_hash("__vdso_getrandom") == 0x84a559bfu);
  CHECK(vdsoforge::elf_sysv_hash("__vdso_clock_gettime") == 0xd35ec75u);
  CHECK(vdsoforge::elf_gnu_hash("__vdso_clock_gettime") == 0x6e43a318u);
  CHECK(vdsoforge::elf_sysv_hash("LINUX_2.6") == 0x3ae75f6u);
}

// The command line: --consumers in text and JSON, --require-consumer as the
// exit status.

namespace {

const nlohmann::json& consumer(const nlohmann::json& report, const std::string& id) {
  for (const auto& entry : report.at("consumers")) {
    if (entry.at("id") == id) return entry;
  }
  throw std::runtime_error("no consumer " + id + " in the report");
}

const nlohmann::json& symbol_of(const nlohmann::json& entry, const std::string& name) {
  for (const auto& s : entry.at("symbols")) {
    if (s.at("name") == name) return s;
  }
  throw std::runtime_error("no symbol " + name + " for " + entry.at("id").get<std::string>());
}

}  // namespace

TEST_CASE("abi --consumers --json carries each consumer's verdict and reasons") {
  test_support::TempDir dir;
  const std::string image = abi_test::broken_image(dir, "bloom.so", test_support::corrupt_gnu_hash);
  const auto result = test_support::run_tool({"abi", image, "--consumers", "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 1);  // the plain ABI verdict keeps its meaning
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report.at("consumers").size() == 5);
  const auto& glibc = consumer(report, "glibc");
  CHECK(glibc.at("verdict") == "falls_back");
  CHECK(glibc.at("uses_image") == false);
  const auto& glibc_getrandom = symbol_of(glibc, "__vdso_getrandom");
  CHECK(glibc_getrandom.at("outcome") == "syscall_fallback");
  CHECK(glibc_getrandom.at("reason_code") == "bloom_miss");
  // The image provides clock_gettime too, and glibc's look-up of it meets
  // the same zeroed bloom filter.
  CHECK(symbol_of(glibc, "__vdso_clock_gettime").at("reason_code") == "bloom_miss");
  const auto& go = consumer(report, "go");
  CHECK(go.at("verdict") == "uses");
  CHECK(symbol_of(go, "__vdso_getrandom").at("address") == "0x" + [] {
    ElfError err;
    const auto elf = ElfImage::parse_file(VDSOFORGE_TEST_IMAGE, ParseMode::inspect, err);
    REQUIRE(elf.has_value());
    for (const auto& s : elf->symbols()) {
      if (s.name == "__vdso_getrandom") {
        char text[32];
        std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(s.value));
        return std::string(text);
      }
    }
    return std::string("none");
  }());
  // musl binds the time functions through DT_HASH, untouched by the bloom filter.
  CHECK(consumer(report, "musl").at("verdict") == "uses");
}

// Images whose tables break a rule but read within bounds: inspect mode once
// refused them (exit 2, no predictions); each is a failed check now, with
// every consumer's verdict.
TEST_CASE("abi --consumers judges images that break a rule but can be read") {
  abi_test::require_kernel_getrandom();
  struct Case {
    std::string file;
    std::function<void(Bytes&)> mutate;
    std::string violation;  // in the failed rules.parser check's image column
    std::string glibc, go;  // their verdicts
  };
  const std::vector<Case> cases = {
      {"local-alias.so",
       [](Bytes& b) { test_support::set_symbol_binding(b, "getrandom", STB_LOCAL); },
       "bad_symbol_table: LOCAL symbol getrandom", "uses", "uses"},
      {"gnu-0-buckets.so", test_support::empty_gnu_hash_buckets, "has 0 buckets", "falls_back",
       "crashes"},
      {"no-verdef.so", [](Bytes& b) { test_support::hide_dynamic_tag(b, DT_VERDEF); },
       "which no DT_VERDEF entry defines", "uses", "crashes"},
  };
  test_support::TempDir dir;
  for (const Case& c : cases) {
    const std::string image = abi_test::broken_image(dir, c.file, c.mutate);
    const auto result = test_support::run_tool({"abi", image, "--consumers", "--json"});
    INFO(c.file << ": " << result.err);
    CHECK(result.exit_code == 1);
    const auto report = nlohmann::json::parse(result.out);
    CHECK_FALSE(report.contains("error"));
    CHECK(report.at("compatible") == false);
    const auto& rules = abi_test::find_check(report, "rules.parser");
    CHECK(rules.at("pass") == false);
    CHECK(rules.at("image").get<std::string>().find(c.violation) != std::string::npos);
    CHECK(report.at("consumers").size() == 5);
    CHECK(consumer(report, "glibc").at("verdict") == c.glibc);
    CHECK(consumer(report, "go").at("verdict") == c.go);
    // The text report says the same.
    const auto text = test_support::run_tool({"abi", image, "--consumers"});
    CHECK(text.exit_code == 1);
    CHECK(text.out.find("rules.parser") != std::string::npos);
    CHECK(text.out.find("glibc 2.41") != std::string::npos);
  }
}

TEST_CASE("abi --require-consumer: exit 1 only when a named consumer would not use the image") {
  test_support::TempDir dir;
  const std::string bloom = abi_test::broken_image(dir, "bloom.so", test_support::corrupt_gnu_hash);
  const std::string vd_hash = abi_test::broken_image(
      dir, "vdhash.so", [](Bytes& b) { test_support::corrupt_version_hash(b, "LINUX_2.6"); });

  CHECK(test_support::run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--require-consumer", "glibc,go"})
            .exit_code == 0);
  // Zeroed bloom filter: Go still uses it, glibc does not.
  CHECK(test_support::run_tool({"abi", bloom, "--require-consumer", "go,parse_vdso"}).exit_code ==
        0);
  const auto glibc = test_support::run_tool({"abi", bloom, "--require-consumer", "glibc,go"});
  CHECK(glibc.exit_code == 1);
  CHECK(glibc.out.find("Required consumers: would NOT use the image: glibc") != std::string::npos);
  // Wrong vd_hash: the other way round.
  CHECK(test_support::run_tool({"abi", vd_hash, "--require-consumer", "glibc"}).exit_code == 0);
  CHECK(test_support::run_tool({"abi", vd_hash, "--require-consumer", "go"}).exit_code == 1);
  // musl looks up the time functions, which the image exports.
  CHECK(test_support::run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--require-consumer", "musl"})
            .exit_code == 0);
}

TEST_CASE("abi --require-consumer with an unknown consumer is a usage error") {
  const auto result =
      test_support::run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--require-consumer", "glibc,bionic"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("unknown consumer 'bionic'") != std::string::npos);
}
