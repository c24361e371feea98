// `abi` and `check` write JUnit and SARIF that validate (xmllint + junit.xsd,
// python3-jsonschema + the SARIF subset schema) and say what --json says:
// one testcase per check, a failure (or SARIF result) with both sides'
// values for each failed check, an error when an input is unreadable.
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <fstream>
#include <set>

#include "abi_fixtures.h"
#include "image_bytes.h"
#include "report_validation.h"

using namespace abi_test;
using namespace test_support;
using namespace report_test;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

void require_valid(const std::string& junit, const std::string& sarif) {
  const ToolResult junit_check = validate_junit(junit);
  INFO("xmllint: " << junit_check.err);
  REQUIRE(junit_check.exit_code == 0);
  const ToolResult sarif_check = validate_sarif(sarif);
  INFO("validate_sarif.py: " << sarif_check.err);
  REQUIRE(sarif_check.exit_code == 0);
}

std::set<std::string> sarif_rule_ids(const nlohmann::json& sarif) {
  std::set<std::string> ids;
  for (const auto& rule : sarif.at("runs")[0].at("tool").at("driver").at("rules"))
    ids.insert(rule.at("id").get<std::string>());
  return ids;
}

// The JUnit and SARIF files of one run agree with its --json report, check
// by check.
void compare_with_json(const std::string& junit, const nlohmann::json& sarif,
                       const nlohmann::json& json) {
  const auto& checks = json.at("checks");
  CHECK(junit_xpath(junit, "count(//testcase)") == std::to_string(checks.size()));
  CHECK(junit_xpath(junit, "string(/testsuites/testsuite/@tests)") ==
        std::to_string(checks.size()));
  const auto failed = failed_ids(json);
  CHECK(junit_xpath(junit, "count(//testcase/failure)") == std::to_string(failed.size()));
  CHECK(junit_xpath(junit, "string(/testsuites/@failures)") == std::to_string(failed.size()));
  CHECK(junit_xpath(junit, "count(//error)") == "0");

  const auto& run = sarif.at("runs")[0];
  CHECK(run.at("invocations")[0].at("executionSuccessful") == true);
  CHECK(run.at("tool").at("driver").at("rules").size() == checks.size());
  std::set<std::string> json_ids;
  for (const auto& check : checks) json_ids.insert(check.at("id").get<std::string>());
  CHECK(sarif_rule_ids(sarif) == json_ids);
  REQUIRE(run.at("results").size() == failed.size());

  for (size_t i = 0; i < failed.size(); ++i) {
    const auto& check = find_check(json, failed[i]);
    const std::string reference = check.at("reference");
    const std::string image = check.at("image");
    INFO("failed check " << failed[i]);
    const std::string message =
        junit_xpath(junit, "string(//testcase[@name='" + failed[i] + "']/failure/@message)");
    CHECK(message.find("expected " + reference) != std::string::npos);
    CHECK(message.find("image has " + image) != std::string::npos);
    const auto& result = run.at("results")[i];
    CHECK(result.at("ruleId") == failed[i]);
    CHECK(result.at("level") == "error");
    CHECK(result.at("properties").at("expected") == reference);
    CHECK(result.at("properties").at("actual") == image);
  }
}

struct AbiRun {
  ToolResult tool;
  nlohmann::json json, sarif;
  std::string junit;
};

// `abi` once with all three machine formats.
AbiRun run_abi(const TempDir& dir, const std::string& image,
               const std::vector<std::string>& extra = {}) {
  AbiRun run;
  run.junit = dir.path("report.xml").string();
  const std::string sarif = dir.path("report.sarif").string();
  std::vector<std::string> args{"abi", "--json", "--junit", run.junit, "--sarif", sarif, image};
  args.insert(args.end(), extra.begin(), extra.end());
  run.tool = run_tool(args);
  INFO(run.tool.err);
  REQUIRE((run.tool.exit_code == 0 || run.tool.exit_code == 1 || run.tool.exit_code == 3));
  require_valid(run.junit, sarif);
  run.json = nlohmann::json::parse(run.tool.out);
  run.sarif = read_json(sarif);
  return run;
}

}  // namespace

TEST_CASE("abi --junit/--sarif for a compatible image: every check a passing testcase") {
  require_kernel_getrandom();
  TempDir dir;
  const AbiRun run = run_abi(dir, VDSOFORGE_TEST_IMAGE);
  CHECK(run.tool.exit_code == 0);
  compare_with_json(run.junit, run.sarif, run.json);
  CHECK(junit_xpath(run.junit, "count(//testcase)") != "0");
  CHECK(junit_xpath(run.junit, "string(//property[@name='reference']/@value)") == "kernel");
  CHECK(run.sarif.at("runs")[0].at("artifacts")[0].at("location").at("uri") ==
        std::string("file://") + VDSOFORGE_TEST_IMAGE);
}

TEST_CASE("abi --junit/--sarif for each altered image: failures with both sides' values") {
  require_kernel_getrandom();
  for (const NamedMutation& mutation : all_mutations()) {
    DYNAMIC_SECTION(mutation.name) {
      TempDir dir;
      const auto image = broken_image(dir, mutation.name + ".so", mutation.mutate);
      const AbiRun run = run_abi(dir, image);
      CHECK(run.tool.exit_code == 1);
      CHECK(!failed_ids(run.json).empty());
      compare_with_json(run.junit, run.sarif, run.json);
    }
  }
}

TEST_CASE("abi --junit/--sarif against a reference file, no kernel needed") {
  TempDir dir;
  const auto reference =
      broken_image(dir, "ref.so", [](Bytes& b) { make_symbol_global(b, "getrandom"); });
  const AbiRun run = run_abi(dir, VDSOFORGE_TEST_IMAGE, {"--reference", reference});
  CHECK(run.tool.exit_code == 1);
  CHECK(failed_ids(run.json) == std::vector<std::string>{"symbols.getrandom.binding"});
  compare_with_json(run.junit, run.sarif, run.json);
  CHECK(junit_xpath(run.junit, "string(//property[@name='reference']/@value)") == reference);
}

TEST_CASE("abi --junit/--sarif name a layout check that fails against a real 6.12 kernel") {
  // The linux-6.13 image reads the time-namespace page where 6.13 keeps it;
  // Debian's 6.12 kernel keeps it two pages higher.
  TempDir dir;
  const AbiRun run = run_abi(dir, profile_image_path("linux-6.13"),
                             {"--reference", kernel_fixture_path(kDebian612Vdso)});
  CHECK(run.tool.exit_code == 1);
  CHECK(run.json.at("verdict") == "incompatible");
  CHECK(run.json.at("compatible") == false);
  // The time functions read 6.13's pages too: the clock records, the
  // namespace page and the paravirtual clock pages all lie elsewhere on 6.12.
  CHECK(failed_ids(run.json) ==
        std::vector<std::string>{"layout.clock_mode", "layout.timens_page", "layout.time_data",
                                 "layout.time_timens_page", "layout.pvclock_page",
                                 "layout.hvclock_page"});
  const auto& time_data = find_check(run.json, "layout.time_data");
  CHECK(time_data.at("image") == "base - 0x4000");
  CHECK(time_data.at("reference") == "base - 0x3f80");
  CHECK(find_check(run.json, "layout.time_record_shape").at("outcome") == "pass");
  CHECK(find_check(run.json, "layout.time_tail").at("outcome") == "pass");
  const auto& timens = find_check(run.json, "layout.timens_page");
  CHECK(timens.at("outcome") == "fail");
  CHECK(timens.at("image") == "base - 0x3000");
  CHECK(timens.at("reference") == "base - 0x1000");
  CHECK(timens.at("detail").get<std::string>().find("inside a time namespace") !=
        std::string::npos);
  CHECK(find_check(run.json, "layout.rng_data").at("outcome") == "pass");
  compare_with_json(run.junit, run.sarif, run.json);
  CHECK(junit_xpath(run.junit, "string(//testcase[@name='layout.timens_page']/failure/@type)") ==
        "layout");
}

TEST_CASE("abi --junit/--sarif: a reference layout nobody can tell is undetermined, not passed") {
  TempDir dir;
  // The built image as reference, its __vdso_getrandom reduced to
  // `xor eax, eax; ret`: the ELF checks pass, the layout cannot be read.
  const auto reference = broken_image(dir, "codeless.so", [](Bytes& bytes) {
    const uint64_t sym = dynsym_offset(bytes, "__vdso_getrandom");
    const auto start = get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_value));
    const auto size = get<uint64_t>(bytes, sym + offsetof(Elf64_Sym, st_size));
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(start),
              bytes.begin() + static_cast<ptrdiff_t>(start + size), 0xcc);
    bytes[start] = 0x31, bytes[start + 1] = 0xc0, bytes[start + 2] = 0xc3;
  });
  const AbiRun run = run_abi(dir, VDSOFORGE_TEST_IMAGE, {"--reference", reference});
  CHECK(run.tool.exit_code == 3);
  CHECK(run.json.at("verdict") == "undetermined");
  CHECK(run.json.at("compatible").is_null());
  CHECK(run.json.at("summary").at("undetermined") == 1);
  CHECK(run.json.at("summary").at("failed") == 0);
  const auto& rng = find_check(run.json, "layout.rng_data");
  CHECK(rng.at("outcome") == "undetermined");
  CHECK(rng.at("pass") == false);
  CHECK(rng.at("reference") == "unknown");
  CHECK(rng.at("detail").get<std::string>().find("--reference-profile") != std::string::npos);
  CHECK(junit_xpath(run.junit, "string(/testsuites/testsuite/@skipped)") == "1");
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='layout.rng_data']/skipped)") == "1");
  CHECK(junit_xpath(run.junit, "count(//failure)") == "0");
  const auto& results = run.sarif.at("runs")[0].at("results");
  REQUIRE(results.size() == 1);
  CHECK(results[0].at("ruleId") == "layout.rng_data");
  CHECK(results[0].at("kind") == "open");
  CHECK(results[0].at("level") == "none");
  // The text report says so in its own words.
  const ToolResult text = run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", reference});
  CHECK(text.exit_code == 3);
  CHECK(text.out.find("\n  UNDETERMINED layout.rng_data: image base - ") != std::string::npos);
  CHECK(text.out.find("\nResult: UNDETERMINED - no check failed, but 1 of ") != std::string::npos);
  CHECK(text.out.find("the reference by nothing it could read (unknown: ") != std::string::npos);

  // Naming the kernel's profile decides it, either way.
  TempDir named_dir;
  const AbiRun named = run_abi(named_dir, VDSOFORGE_TEST_IMAGE,
                               {"--reference", reference, "--reference-profile", "linux-6.15"});
  CHECK(named.tool.exit_code == 0);
  CHECK(named.json.at("verdict") == "compatible");
  TempDir wrong_dir;
  const AbiRun wrong = run_abi(wrong_dir, VDSOFORGE_TEST_IMAGE,
                               {"--reference", reference, "--reference-profile", "linux-6.11"});
  CHECK(wrong.tool.exit_code == 1);
  CHECK(find_check(wrong.json, "layout.rng_data").at("outcome") == "fail");
}

TEST_CASE("abi --junit/--sarif: time checks a reference's code cannot show are undetermined") {
  TempDir dir;
  // The built image as reference, its time() reduced to `xor eax, eax; ret`:
  // nothing shows where its clock records lie.
  const auto reference = broken_image(dir, "timeless.so", [](Bytes& bytes) {
    const FunctionBytes time = function_bytes(bytes, "__vdso_time");
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(time.offset),
              bytes.begin() + static_cast<ptrdiff_t>(time.offset + time.size), 0xcc);
    bytes[time.offset] = 0x31, bytes[time.offset + 1] = 0xc0, bytes[time.offset + 2] = 0xc3;
  });
  const AbiRun run = run_abi(dir, VDSOFORGE_TEST_IMAGE, {"--reference", reference});
  CHECK(run.tool.exit_code == 3);
  CHECK(run.json.at("verdict") == "undetermined");
  CHECK(run.json.at("summary").at("failed") == 0);
  // Record 0, and the record offsets and the namespace page that follow
  // from it, and the Hyper-V page (which reads like a record at a page's
  // start); the pvclock page is still told by its fields.
  std::vector<std::string> undetermined;
  for (const auto& check : run.json.at("checks"))
    if (check.at("outcome") == "undetermined") undetermined.push_back(check.at("id"));
  CHECK(undetermined == std::vector<std::string>{"layout.time_data", "layout.time_record_shape",
                                                 "layout.time_tail", "layout.time_timens_page",
                                                 "layout.hvclock_page"});
  const auto& data = find_check(run.json, "layout.time_data");
  CHECK(data.at("reference") == "unknown");
  CHECK(data.at("image") == "base - 0x6000");
  CHECK(data.at("detail").get<std::string>().find("--reference-profile") != std::string::npos);
  CHECK(find_check(run.json, "layout.pvclock_page").at("outcome") == "pass");
  CHECK(junit_xpath(run.junit, "string(/testsuites/testsuite/@skipped)") == "5");
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='layout.time_data']/skipped)") == "1");
  CHECK(junit_xpath(run.junit, "count(//failure)") == "0");
  CHECK(run.sarif.at("runs")[0].at("results").size() == 5);

  // Naming the profile decides all but the tail: linux-6.15 covers kernels
  // with it at record 0 + 464 (6.15, 6.16) and at + 2320 (6.17+).
  TempDir named_dir;
  const AbiRun named = run_abi(named_dir, VDSOFORGE_TEST_IMAGE,
                               {"--reference", reference, "--reference-profile", "linux-6.15"});
  CHECK(named.tool.exit_code == 3);
  CHECK(named.json.at("summary").at("undetermined") == 1);
  CHECK(find_check(named.json, "layout.time_data").at("outcome") == "pass");
  const auto& tail = find_check(named.json, "layout.time_tail");
  CHECK(tail.at("outcome") == "undetermined");
  CHECK(tail.at("detail").get<std::string>().find("6.15/6.16") != std::string::npos);
}

TEST_CASE("abi --junit/--sarif for an unreadable image: one error, an unsuccessful run") {
  TempDir dir;
  const std::string junit = dir.path("r.xml").string(), sarif = dir.path("r.sarif").string();
  const ToolResult result =
      run_tool({"abi", "--junit", junit, "--sarif", sarif, dir.path("missing.so").string()});
  CHECK(result.exit_code == 2);
  require_valid(junit, sarif);
  CHECK(junit_xpath(junit, "string(/testsuites/@errors)") == "1");
  CHECK(junit_xpath(junit, "count(//testcase/error)") == "1");
  CHECK(junit_xpath(junit, "string(//testcase/error/@message)").find("missing.so") !=
        std::string::npos);
  const auto log = read_json(sarif);
  const auto& invocation = log.at("runs")[0].at("invocations")[0];
  CHECK(invocation.at("executionSuccessful") == false);
  CHECK(invocation.at("toolExecutionNotifications")[0].at("level") == "error");
  CHECK(log.at("runs")[0].at("results").empty());
}

TEST_CASE("check --junit/--sarif: one testcase per rule, culprits in the failure") {
  TempDir dir;
  const std::string junit = dir.path("c.xml").string(), sarif = dir.path("c.sarif").string();
  SECTION("a good image passes every rule") {
    const ToolResult result =
        run_tool({"check", VDSOFORGE_TEST_IMAGE, "--exports",
                  "__vdso_getrandom,getrandom,__vdso_clock_gettime,clock_gettime,"
                  "__vdso_gettimeofday,gettimeofday,__vdso_time,time,__vdso_getcpu,getcpu,"
                  "__vdso_clock_getres,clock_getres",
                  "--symbol-version", "LINUX_2.6", "--stackless", "vdsoforge_chacha20_blocks_sse2",
                  "--debug-image", VDSOFORGE_TEST_DEBUG_IMAGE, "--junit", junit, "--sarif", sarif});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    require_valid(junit, sarif);
    CHECK(junit_xpath(junit, "count(//testcase)") == "8");
    CHECK(junit_xpath(junit, "count(//failure)") == "0");
    CHECK(junit_xpath(junit,
                      "string(//testcase[@name='stackless.vdsoforge_chacha20_blocks_sse2']/"
                      "@classname)") == "vdsoforge.check.stackless");
    CHECK(read_json(sarif).at("runs")[0].at("results").empty());
  }
  SECTION("an image missing its LINUX_2.6 version fails exports.version and versions.symbol") {
    const auto image = broken_image(dir, "nover.so", drop_last_version_definition);
    const ToolResult result =
        run_tool({"check", image, "--symbol-version", "LINUX_2.6", "--exports",
                  "getrandom,__vdso_getrandom,__vdso_clock_gettime,clock_gettime,"
                  "__vdso_gettimeofday,gettimeofday,__vdso_time,time,__vdso_getcpu,getcpu,"
                  "__vdso_clock_getres,clock_getres,extra",
                  "--junit", junit, "--sarif", sarif});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    require_valid(junit, sarif);
    // Without its definition LINUX_2.6's ABS symbol is no version symbol but
    // a stray export: exports.set, exports.version and versions.symbol fail.
    CHECK(junit_xpath(junit, "count(//failure)") == "3");
    const std::string version_failure =
        junit_xpath(junit, "string(//testcase[@name='exports.version']/failure/@message)");
    CHECK(version_failure.find("expected @@LINUX_2.6") != std::string::npos);
    CHECK(version_failure.find("export __vdso_getrandom is at version 'linux-vdso.so.1'") !=
          std::string::npos);
    const std::string set_failure =
        junit_xpath(junit, "string(//testcase[@name='exports.set']/failure/@message)");
    CHECK(set_failure.find("expected __vdso_clock_getres,__vdso_clock_gettime,__vdso_getcpu,"
                           "__vdso_getrandom,__vdso_gettimeofday,__vdso_time,clock_getres,"
                           "clock_gettime,extra,getcpu,getrandom,gettimeofday,time, image has "
                           "LINUX_2.6,__vdso_clock_getres,__vdso_clock_gettime,__vdso_getcpu,"
                           "__vdso_getrandom,__vdso_gettimeofday,__vdso_time,clock_getres,"
                           "clock_gettime,getcpu,getrandom,gettimeofday,time -- exported symbol "
                           "LINUX_2.6 not in --exports; export extra missing") !=
          std::string::npos);
    const auto log = read_json(sarif);
    const auto& results = log.at("runs")[0].at("results");
    REQUIRE(results.size() == 3);
    CHECK(results[0].at("ruleId") == "exports.set");
    CHECK(results[1].at("ruleId") == "exports.version");
    CHECK(results[2].at("ruleId") == "versions.symbol");
  }
  SECTION("an image with a relocation fails rules.parser") {
    const auto image = broken_image(dir, "reloc.so", add_stray_relocation);
    const ToolResult result = run_tool({"check", image, "--junit", junit, "--sarif", sarif});
    CHECK(result.exit_code == 1);
    require_valid(junit, sarif);
    CHECK(junit_xpath(junit, "string(//testcase[@name='rules.parser']/failure/@message)")
              .find("relocation tag DT_RELA") != std::string::npos);
  }
  SECTION("an unreadable image is an error") {
    const ToolResult result =
        run_tool({"check", dir.path("none.so").string(), "--junit", junit, "--sarif", sarif});
    CHECK(result.exit_code == 2);
    require_valid(junit, sarif);
    CHECK(junit_xpath(junit, "count(//testcase/error)") == "1");
    CHECK(read_json(sarif).at("runs")[0].at("invocations")[0].at("executionSuccessful") == false);
  }
}

TEST_CASE("reports stay valid for an image path with XML and URI special characters") {
  TempDir dir;
  const std::string odd = dir.path("a <b> & 'c' \"d\" %e.so").string();
  write_file(odd, read_file(VDSOFORGE_TEST_IMAGE));
  const std::string junit = dir.path("o.xml").string(), sarif = dir.path("o.sarif").string();
  const ToolResult result = run_tool({"check", odd, "--junit", junit, "--sarif", sarif});
  CHECK(result.exit_code == 0);
  require_valid(junit, sarif);
  CHECK(junit_xpath(junit, "string(//property[@name='image']/@value)") == odd);
  const std::string uri =
      read_json(sarif).at("runs")[0].at("artifacts")[0].at("location").at("uri");
  CHECK(uri.ends_with("/a%20%3Cb%3E%20%26%20%27c%27%20%22d%22%20%25e.so"));
  CHECK(uri.starts_with("file:///"));
}

TEST_CASE("a report file that cannot be written is exit 2 with the OS reason") {
  const ToolResult abi = run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", VDSOFORGE_TEST_IMAGE,
                                   "--junit", "/nonexistent/dir/r.xml"});
  CHECK(abi.exit_code == 2);
  CHECK(abi.err.find("vdsoforge abi: cannot create /nonexistent/dir/r.xml: No such file or "
                     "directory") != std::string::npos);
  const ToolResult check =
      run_tool({"check", VDSOFORGE_TEST_IMAGE, "--sarif", "/nonexistent/dir/r.sarif"});
  CHECK(check.exit_code == 2);
  CHECK(check.err.find("vdsoforge check: cannot create /nonexistent/dir/r.sarif: No such file or "
                       "directory") != std::string::npos);
}

TEST_CASE("abi --consumers --junit/--sarif: one testcase per consumer and symbol") {
  TempDir dir;
  // A zeroed bloom filter: glibc would fall back, Go would not.
  const auto image = broken_image(dir, "bloom.so", corrupt_gnu_hash);
  const AbiRun run = run_abi(dir, image, {"--reference", VDSOFORGE_TEST_IMAGE, "--consumers"});
  const std::string glibc = "consumers.glibc.__vdso_getrandom";
  const std::string go = "consumers.go.__vdso_getrandom";
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='" + glibc + "']/failure)") == "1");
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='" + go + "'])") == "1");
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='" + go + "']/failure)") == "0");
  const std::string message =
      junit_xpath(run.junit, "string(//testcase[@name='" + glibc + "']/failure/@message)");
  CHECK(message.find("bloom_miss") != std::string::npos);
  // musl looks up the time functions, which the image defines, through
  // DT_HASH, which the zeroed bloom filter does not touch: checks that pass.
  CHECK(junit_xpath(run.junit, "count(//testcase[@name='consumers.musl.__vdso_clock_gettime'])") ==
        "1");
  CHECK(junit_xpath(run.junit,
                    "count(//testcase[starts-with(@name, 'consumers.musl.')]/failure)") == "0");
  std::set<std::string> sarif_failures;
  for (const auto& result : run.sarif.at("runs")[0].at("results"))
    sarif_failures.insert(result.at("ruleId").get<std::string>());
  CHECK(sarif_failures.count(glibc) == 1);
  CHECK(sarif_failures.count(go) == 0);
  // The --json "checks" stay the ABI checks; the consumer verdicts are its
  // "consumers" member.
  CHECK(run.json.at("consumers").size() == 5);
}
