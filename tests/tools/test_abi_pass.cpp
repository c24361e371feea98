// `vdsoforge abi` accepts the built image: against the live kernel vDSO and
// against a file dump of it made by `vdsoforge dump`; its JSON is well formed.
#include <catch2/catch.hpp>
#include <set>

#include "abi_fixtures.h"

using namespace abi_test;
using namespace test_support;

TEST_CASE("abi passes the built image against the live kernel vDSO") {
  require_kernel_getrandom();
  const ToolResult result = run_tool({"abi", VDSOFORGE_TEST_IMAGE});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("Result: COMPATIBLE") != std::string::npos);
  CHECK(result.out.find("FAIL ") == std::string::npos);
  // Both sides' values are printed, e.g. the kernel's own getrandom binding.
  CHECK(result.out.find("PASS symbols.getrandom.binding: image WEAK | reference WEAK") !=
        std::string::npos);
  // The image exports the kernel's whole set: nothing is listed as not provided.
  CHECK(result.out.find("Not provided by the image") == std::string::npos);
  CHECK(result.out.find("PASS symbols.__vdso_clock_gettime.binding: image GLOBAL | reference "
                        "GLOBAL") != std::string::npos);
  // The kernel's ABS version symbol LINUX_2.6 names a version, not an
  // export, so it is not listed as missing; the image has it as the kernel does.
  CHECK(result.out.find("LINUX_2.6@@LINUX_2.6 GLOBAL") == std::string::npos);
  CHECK(result.out.find("PASS versions.LINUX_2.6.symbol: image ABS OBJECT GLOBAL DEFAULT "
                        "@@LINUX_2.6 | reference ABS OBJECT GLOBAL DEFAULT @@LINUX_2.6") !=
        std::string::npos);
}

TEST_CASE("abi passes the built image against a dump of the kernel vDSO") {
  require_kernel_getrandom();
  TempDir dir;
  const std::string dump = dir.path("kernel-vdso.so").string();
  const ToolResult dumped = run_tool({"dump", "-o", dump});
  INFO(dumped.out << dumped.err);
  REQUIRE(dumped.exit_code == 0);
  const ToolResult result = run_tool({"abi", VDSOFORGE_TEST_IMAGE, "--reference", dump});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("reference: " + dump) != std::string::npos);
  CHECK(result.out.find("Result: COMPATIBLE") != std::string::npos);
}

TEST_CASE("abi --json follows the documented schema") {
  require_kernel_getrandom();
  const ToolResult result = run_tool({"abi", "--json", VDSOFORGE_TEST_IMAGE});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report.at("schema") == "vdsoforge-abi/1");
  CHECK(report.at("compatible") == true);
  CHECK(report.at("verdict") == "compatible");
  CHECK(report.at("image").at("source") == VDSOFORGE_TEST_IMAGE);
  CHECK(report.at("reference").at("source") == "kernel");
  CHECK(report.at("reference").at("size").get<uint64_t>() % 4096 == 0);
  const auto& checks = report.at("checks");
  CHECK(report.at("summary").at("checks") == checks.size());
  CHECK(report.at("summary").at("failed") == 0);
  CHECK(report.at("summary").at("undetermined") == 0);
  std::set<std::string> ids;
  std::set<std::string> groups;
  for (const auto& check : checks) {
    for (const char* field : {"id", "group", "title", "outcome", "image", "reference", "detail"}) {
      CHECK(check.at(field).is_string());
    }
    CHECK(check.at("pass").is_boolean());
    CHECK(check.at("outcome") == (check.at("pass") == true ? "pass" : "fail"));
    CHECK(ids.insert(check.at("id").get<std::string>()).second);  // ids are unique
    groups.insert(check.at("group").get<std::string>());
  }
  CHECK(groups == std::set<std::string>{"identity", "segments", "dynamic", "versions", "symbols",
                                        "notes", "hash", "rules", "layout"});
  // Every required check is there, with both sides filled in.
  for (const char* id :
       {"identity.machine", "segments.load_count", "segments.eh_frame_hdr", "dynamic.gnu_hash",
        "dynamic.no_relocations", "versions.LINUX_2.6", "versions.LINUX_2.6.hash",
        "symbols.__vdso_getrandom.version", "notes.linux_version", "notes.build_id",
        "hash.gnu.getrandom", "hash.sysv.getrandom", "layout.rng_data"}) {
    const auto& check = find_check(report, id);
    CHECK(!check.at("image").get<std::string>().empty());
    CHECK(!check.at("reference").get<std::string>().empty());
  }
  CHECK(find_check(report, "identity.machine").at("image") == "EM_X86_64");
  // The image exports the kernel's whole x86-64 set: nothing of the
  // kernel's is missing (the kernel here has the time functions and getrandom).
  CHECK(report.at("not_provided").empty());
  CHECK(find_check(report, "symbols.__vdso_clock_gettime").at("image") ==
        "__vdso_clock_gettime@@LINUX_2.6");
}

TEST_CASE("abi accepts the kernel's own vDSO checked against itself") {
  // The kernel's vDSO exports the ABS version symbol LINUX_2.6 (value 0),
  // which no hash look-up resolves; it must not count as a broken table.
  require_kernel_getrandom();
  TempDir dir;
  const std::string dump = dir.path("kernel-vdso.so").string();
  REQUIRE(run_tool({"dump", "-o", dump}).exit_code == 0);
  const ToolResult result = run_tool({"abi", dump, "--reference", dump});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(
            "PASS symbols.__vdso_clock_gettime.binding: image GLOBAL | reference GLOBAL") !=
        std::string::npos);
  CHECK(result.out.find("Not provided") == std::string::npos);
}
