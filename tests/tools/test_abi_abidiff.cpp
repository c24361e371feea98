// Cross-check with libabigail's abidiff, the tool distributions use for ELF
// ABI diffs: on every pair the abi tests make — the built image against a
// dump of the running kernel's vDSO, and the built image against each altered
// image (image_mutations.h), each pair both ways round — every function symbol abidiff reports as
// removed, added or re-versioned must be reported by `vdsoforge abi` too:
//   added (in the image, not the reference)  -> a failed symbols.<name> or
//                                               symbols.<name>.version check
//   removed (in the reference only)          -> listed in not_provided (an
//                                               image may implement a subset
//                                               of the vDSO; docs/integration.md)
//                                               or a failed check naming it
//   re-versioned (removed and added under    -> a failed symbols.<name>.version
//   another version)                            check
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "abi_fixtures.h"

using namespace abi_test;
using namespace test_support;

namespace {

struct SymbolChange {
  std::string name, version;  // version "" when abidiff shows none
};

struct AbidiffReport {
  int exit_code = -1;
  std::vector<SymbolChange> removed, added;
  std::string text;
};

// "  [D] __vdso_getcpu@@LINUX_2.6, aliases getcpu@@LINUX_2.6" -> name, version
SymbolChange parse_symbol(const std::string& entry) {
  std::string symbol = entry.substr(0, entry.find(','));
  const size_t at = symbol.find('@');
  if (at == std::string::npos) return {symbol, ""};
  const size_t version_start = symbol.find_first_not_of('@', at);
  return {symbol.substr(0, at), symbol.substr(version_start)};
}

AbidiffReport run_abidiff(const std::string& reference, const std::string& image) {
  const ToolResult result = run_program({VDSOFORGE_ABIDIFF, "--no-show-locs", reference, image});
  AbidiffReport report{.exit_code = result.exit_code, .text = result.out + result.err};
  std::istringstream lines(result.out);
  std::string line;
  std::vector<SymbolChange>* section = nullptr;
  while (std::getline(lines, line)) {
    if (line.find("Removed function symbol") != std::string::npos && line.ends_with(":")) {
      section = &report.removed;
    } else if (line.find("Added function symbol") != std::string::npos && line.ends_with(":")) {
      section = &report.added;
    } else if (line.find("variable symbol") != std::string::npos && line.ends_with(":")) {
      section = nullptr;
    } else if (section != nullptr && (line.starts_with("  [D] ") || line.starts_with("  [A] "))) {
      section->push_back(parse_symbol(line.substr(6)));
    }
  }
  return report;
}

bool failed(const nlohmann::json& report, const std::string& id) {
  for (const auto& check : report.at("checks"))
    if (check.at("id") == id) return !check.at("pass").get<bool>();
  return false;
}

bool not_provided(const nlohmann::json& report, const SymbolChange& symbol) {
  for (const auto& entry : report.at("not_provided")) {
    const std::string version = entry.at("version");
    if (entry.at("name") == symbol.name &&
        (symbol.version.empty() || version.ends_with("@" + symbol.version)))
      return true;
  }
  return false;
}

// Runs both tools on (reference, image) and checks the agreement rules; returns
// how many symbol changes abidiff reported.
size_t cross_check(const std::string& label, const std::string& reference,
                   const std::string& image) {
  const AbidiffReport abidiff = run_abidiff(reference, image);
  const ToolResult abi = run_tool({"abi", "--json", image, "--reference", reference});
  INFO(label << "\nabidiff (exit " << abidiff.exit_code << "):\n"
             << abidiff.text << "\nvdsoforge abi (exit " << abi.exit_code << "):\n"
             << abi.err);
  // abidiff's exit status is a bit field; bit 0 (1) and bit 1 (2) mean it
  // failed to run or was misused, which would make the comparison void.
  REQUIRE((abidiff.exit_code & 3) == 0);
  REQUIRE((abi.exit_code == 0 || abi.exit_code == 1));
  const auto report = nlohmann::json::parse(abi.out);

  std::map<std::string, std::set<std::string>> removed_versions;
  for (const SymbolChange& removed : abidiff.removed)
    removed_versions[removed.name].insert(removed.version);
  for (const SymbolChange& added : abidiff.added) {
    INFO("abidiff: added " << added.name << "@" << added.version);
    if (removed_versions.count(added.name)) {  // re-versioned
      CHECK(failed(report, "symbols." + added.name + ".version"));
    } else {
      CHECK((failed(report, "symbols." + added.name) ||
             failed(report, "symbols." + added.name + ".version")));
    }
  }
  std::set<std::string> added_names;
  for (const SymbolChange& added : abidiff.added) added_names.insert(added.name);
  for (const SymbolChange& removed : abidiff.removed) {
    if (added_names.count(removed.name)) continue;  // re-versioned: checked above
    INFO("abidiff: removed " << removed.name << "@" << removed.version);
    // A removed member of an alias group fails the group (".aliases").
    CHECK((not_provided(report, removed) || failed(report, "symbols." + removed.name) ||
           failed(report, "symbols." + removed.name + ".version") ||
           failed(report, "symbols." + removed.name + ".aliases")));
  }
  std::printf(
      "%s: abidiff exit %d, %zu removed, %zu added function symbols; vdsoforge abi exit %d, "
      "%zu failed checks\n",
      label.c_str(), abidiff.exit_code, abidiff.removed.size(), abidiff.added.size(), abi.exit_code,
      static_cast<size_t>(report.at("summary").at("failed")));
  // abidiff saying nothing changed while vdsoforge names a symbol would be a
  // disagreement the other way; symbol-level failures must have a reason
  // abidiff cannot see (binding, hash tables) — listed in docs/integration.md.
  return abidiff.removed.size() + abidiff.added.size();
}

}  // namespace

TEST_CASE("abidiff and vdsoforge abi agree: the built image against the kernel's vDSO") {
  require_kernel_getrandom();
  TempDir dir;
  const std::string dump = dir.path("kernel-vdso.so").string();
  REQUIRE(run_tool({"dump", "-o", dump}).exit_code == 0);
  // The image exports the kernel's whole set: neither tool sees a change.
  CHECK(cross_check("image vs kernel dump", dump, VDSOFORGE_TEST_IMAGE) == 0);
  CHECK(cross_check("kernel dump vs image", VDSOFORGE_TEST_IMAGE, dump) == 0);
  // A getrandom-only image lacks the time functions: abidiff calls them
  // removed, vdsoforge lists them as not provided.
  CHECK(cross_check("getrandom-only vs kernel dump", dump, VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE) >
        0);
  // The other way round the time functions are added, which vdsoforge fails.
  CHECK(cross_check("kernel dump vs getrandom-only", VDSOFORGE_TEST_GETRANDOM_ONLY_IMAGE, dump) >
        0);
}

TEST_CASE("abidiff and vdsoforge abi agree on every altered image") {
  TempDir dir;
  size_t changes = 0;
  for (const NamedMutation& mutation : all_mutations()) {
    const auto altered = broken_image(dir, mutation.name + ".so", mutation.mutate);
    changes += cross_check("image vs " + mutation.name, VDSOFORGE_TEST_IMAGE, altered);
    changes += cross_check(mutation.name + " vs image", altered, VDSOFORGE_TEST_IMAGE);
  }
  // At least the version-dropping mutation re-versions the exports.
  CHECK(changes > 0);
}
