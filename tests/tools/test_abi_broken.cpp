// `vdsoforge abi` rejects deliberately broken images with exit status 1 and
// names the broken property, with both sides' values, in text and JSON.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

#include "abi_fixtures.h"
#include "image_bytes.h"

using namespace abi_test;
using namespace test_support;

namespace {

struct Verdict {
  ToolResult text;
  nlohmann::json json;
};

Verdict judge(const std::string& image) {
  Verdict verdict;
  verdict.text = run_tool({"abi", image});
  const ToolResult json = run_tool({"abi", "--json", image});
  INFO(verdict.text.out << verdict.text.err << json.err);
  REQUIRE(verdict.text.exit_code == 1);
  REQUIRE(json.exit_code == 1);
  verdict.json = nlohmann::json::parse(json.out);
  CHECK(verdict.json.at("compatible") == false);
  CHECK(verdict.text.out.find("Result: INCOMPATIBLE") != std::string::npos);
  return verdict;
}

// `abi` on the built image broken by `mutate` (written as `file_name`),
// against the running kernel's vDSO.
Verdict judge_broken(const std::string& file_name, const std::function<void(Bytes&)>& mutate) {
  require_kernel_getrandom();
  const TempDir dir;
  return judge(broken_image(dir, file_name, mutate));
}

bool has_line(const std::string& text, const std::string& line_start) {
  return text.find("\n  " + line_start) != std::string::npos;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

TEST_CASE("abi fails an image whose getrandom is GLOBAL where the kernel has WEAK") {
  const Verdict v = judge_broken("global.so", [](Bytes& b) { make_symbol_global(b, "getrandom"); });
  INFO(v.text.out);
  CHECK(has_line(v.text.out, "FAIL symbols.getrandom.binding: image GLOBAL | reference WEAK"));
  // Nothing else about the image changed, so nothing else fails.
  CHECK(failed_ids(v.json) == std::vector<std::string>{"symbols.getrandom.binding"});
  const auto& check = find_check(v.json, "symbols.getrandom.binding");
  CHECK(check.at("image") == "GLOBAL");
  CHECK(check.at("reference") == "WEAK");
  CHECK(find_check(v.json, "symbols.__vdso_getrandom.binding").at("pass") == true);
}

TEST_CASE("abi fails an image missing the LINUX_2.6 version definition") {
  const Verdict v = judge_broken("noversion.so", drop_last_version_definition);
  INFO(v.text.out);
  CHECK(has_line(v.text.out,
                 "FAIL versions.LINUX_2.6: image missing | reference index 2, flags none"));
  const auto& check = find_check(v.json, "versions.LINUX_2.6");
  CHECK(check.at("pass") == false);
  CHECK(check.at("image") == "missing");
  CHECK(check.at("detail") == "the image does not define version LINUX_2.6");
  // The exports lost their version with it.
  const auto& version = find_check(v.json, "symbols.__vdso_getrandom.version");
  CHECK(version.at("pass") == false);
  CHECK(version.at("image") == "@@linux-vdso.so.1");
  CHECK(version.at("reference") == "@@LINUX_2.6");
  CHECK(find_check(v.json, "versions.linux-vdso.so.1").at("pass") == true);
}

TEST_CASE("abi fails an image with a stray relocation") {
  const Verdict v = judge_broken("reloc.so", add_stray_relocation);
  INFO(v.text.out);
  CHECK(has_line(v.text.out, "FAIL dynamic.no_relocations: image DT_RELA=0x"));
  const auto& check = find_check(v.json, "dynamic.no_relocations");
  CHECK(check.at("pass") == false);
  const std::string value = check.at("image");
  CHECK(value.find("DT_RELASZ=0x18") != std::string::npos);
  CHECK(check.at("reference") == "none");
  // The loader's parser agrees: it would refuse the image.
  const std::string rules = find_check(v.json, "rules.parser").at("image");
  CHECK(rules.find("has_relocations") != std::string::npos);
  CHECK(failed_ids(v.json) == std::vector<std::string>{"dynamic.no_relocations", "rules.parser"});
}

TEST_CASE("abi fails an image with a second loadable segment") {
  const Verdict v = judge_broken("twoloads.so", add_second_load_segment);
  INFO(v.text.out);
  CHECK(has_line(v.text.out, "FAIL segments.load_count: image 2 | reference 1"));
  const auto& check = find_check(v.json, "segments.load_count");
  CHECK(check.at("image") == "2");
  CHECK(check.at("reference") == "1");
  const std::string detail = check.at("detail");
  // The mutation puts the extra segment at the first page past the image,
  // wherever that is for the image's current size.
  CHECK(detail.find("extra PT_LOAD: vaddr 0x") != std::string::npos);
  CHECK(detail.find("000 memsz 0x1000 R+W") != std::string::npos);
  const auto failed = failed_ids(v.json);
  CHECK(contains(failed, "rules.parser"));
  // The first PT_LOAD itself is still fine.
  CHECK(find_check(v.json, "segments.load_flags").at("pass") == true);
}

TEST_CASE("abi fails an image whose .gnu.hash is corrupt, and says .hash still works") {
  const Verdict v = judge_broken("gnuhash.so", corrupt_gnu_hash);
  INFO(v.text.out);
  CHECK(has_line(v.text.out,
                 "FAIL hash.gnu.__vdso_getrandom: image not found | reference finds dynsym #"));
  CHECK(has_line(v.text.out, "FAIL hash.gnu.getrandom: image not found"));
  const auto built = parse_valid(built_image());
  const std::string index = std::to_string(built.lookup("__vdso_getrandom", "LINUX_2.6")->index);
  CHECK(has_line(v.text.out, "PASS hash.sysv.__vdso_getrandom: image finds dynsym #" + index));
  const auto failed = failed_ids(v.json);
  CHECK(contains(failed, "hash.gnu.__vdso_getrandom"));
  CHECK(contains(failed, "hash.gnu.getrandom"));
  CHECK(!contains(failed, "hash.sysv.getrandom"));
  CHECK(!contains(failed, "dynamic.gnu_hash"));  // the table is there, just wrong
}

TEST_CASE("abi fails an image whose .hash is corrupt, and says .gnu.hash still works") {
  const Verdict v = judge_broken("sysvhash.so", corrupt_sysv_hash);
  INFO(v.text.out);
  CHECK(has_line(v.text.out, "FAIL hash.sysv.getrandom: image not found"));
  const auto failed = failed_ids(v.json);
  CHECK(contains(failed, "hash.sysv.__vdso_getrandom"));
  CHECK(!contains(failed, "hash.gnu.__vdso_getrandom"));
}

TEST_CASE("abi fails an image that keeps a plain name but not its __vdso_ alias") {
  // The mutation makes the first exported symbol LOCAL: a __vdso_ name (in
  // the built image's .dynsym order, __vdso_gettimeofday) whose plain alias
  // stays exported.
  const auto built = parse_valid(built_image());
  const std::string hidden = built.symbols().at(1).name;
  REQUIRE(hidden.rfind("__vdso_", 0) == 0);
  const std::string alias = hidden.substr(7);
  const Verdict v = judge_broken("local-alias.so", make_first_symbol_local);
  INFO(v.text.out);
  // The kernel exports both names at one address; providing only one is a
  // broken promise, not a symbol the image merely does not provide.
  CHECK(failed_ids(v.json) == std::vector<std::string>{"symbols." + hidden + ".aliases",
                                                       "symbols." + alias + ".aliases"});
  CHECK(has_line(v.text.out, "FAIL symbols." + hidden +
                                 ".aliases: image not exported | "
                                 "reference shares its address with " +
                                 alias + "@@LINUX_2.6"));
  for (const auto& missing : v.json.at("not_provided")) CHECK(missing.at("name") != hidden);
}

TEST_CASE("abi fails an image whose getrandom no longer shares __vdso_getrandom's address") {
  const Verdict v = judge_broken("moved.so", [](Bytes& b) { move_symbol(b, "getrandom", 16); });
  INFO(v.text.out);
  CHECK(failed_ids(v.json) ==
        std::vector<std::string>{"symbols.__vdso_getrandom.aliases", "symbols.getrandom.aliases"});
  CHECK(has_line(v.text.out,
                 "FAIL symbols.getrandom.aliases: image alone at its address | "
                 "reference shares its address with __vdso_getrandom@@LINUX_2.6"));
  CHECK(find_check(v.json, "symbols.getrandom.size").at("pass") == true);
}
