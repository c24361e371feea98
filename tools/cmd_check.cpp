// vdsoforge check [--exports a,b] [--symbol-version V] [--stackless SYM]... [--debug-image F] IMAGE
//
// The build's gate for every image: fails (exit 1), naming each culprit on its
// own line, if IMAGE breaks a vDSO rule — relocations, undefined symbols,
// DT_NEEDED, writable data/GOT/PLT sections, a writable or second loadable
// segment, exports other than expected or at another version, hash tables
// that miss an export — or if a routine that must be stackless touches the
// stack.  Exit 2 if an input cannot be read or parsed, 0 with a one-line
// summary if everything holds.
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "abi_elf_names.h"
#include "check_symtab.h"
#include "command.h"
#include "exports.h"
#include "report_files.h"
#include "stack_analysis.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

namespace {

struct CheckOptions {
  std::string image;
  std::string exports_csv;
  bool exports_given = false;
  std::string symbol_version;
  std::vector<std::string> stackless;
  std::string debug_image;
  report::ReportFiles reports;
};

// Why a section must not exist in a vDSO, or nullptr if it may.
const char* forbidden_section_reason(const Section& section) {
  const std::string& n = section.name;
  const auto starts = [&](const char* prefix) { return n.rfind(prefix, 0) == 0; };
  if (section.type == SHT_REL || section.type == SHT_RELA || section.type == SHT_RELR) {
    return "";  // reported as a relocation section
  }
  if (n == ".data" || starts(".data.") || n == ".tdata" || starts(".tdata.")) {
    return "vDSO images must not have writable data";
  }
  if (n == ".bss" || starts(".bss.") || n == ".tbss" || starts(".tbss.")) {
    return "vDSO images must not have writable zero-initialised data";
  }
  if (n == ".got" || starts(".got.")) return "vDSO images must not need a GOT";
  if (n == ".plt" || starts(".plt.")) return "vDSO images must not call through a PLT";
  return nullptr;
}

// Every rule becomes one named check (for --junit/--sarif); its culprits,
// in the order found, are also the text report's lines.
class Checker {
 public:
  Checker(const CheckOptions& options, const ElfImage& image) : options_(options), image_(image) {}

  std::vector<std::string> culprits;
  std::vector<report::CheckResult> results;
  std::vector<std::string> stackless_summaries;

  void check_structure() {
    std::vector<std::string> found;
    for (const Violation& v : image_.violations()) found.push_back(v.message);
    record("rules.parser", "rules", "the loader's parser finds no vDSO rule broken", "none", found);

    found.clear();
    for (const Section& section : image_.sections()) {
      const char* reason = forbidden_section_reason(section);
      if (reason == nullptr) continue;
      if (*reason == '\0') {
        found.push_back("relocation section " + section.name);
      } else {
        found.push_back("section " + section.name + " present (" + reason + ")");
      }
    }
    record("sections.forbidden", "sections", "no relocation, .data, .bss, .got or .plt section",
           "none", found);

    found.clear();
    for (const Symbol& sym : image_.symbols()) {
      if (sym.index != 0 && sym.shndx == SHN_UNDEF) found.push_back("undefined symbol " + sym.name);
    }
    record("symbols.undefined", "symbols", "no undefined symbol", "none", found);
  }

  void check_exports() {
    const auto exports = exported_symbols(image_);
    std::set<std::string> present;
    for (const Symbol* sym : exports) present.insert(sym->name);
    if (options_.exports_given) {
      std::set<std::string> wanted;
      // An empty item (",," or a trailing comma) names nothing.
      for (size_t begin = 0; begin <= options_.exports_csv.size();) {
        size_t end = options_.exports_csv.find(',', begin);
        if (end == std::string::npos) end = options_.exports_csv.size();
        if (end > begin) wanted.insert(options_.exports_csv.substr(begin, end - begin));
        begin = end + 1;
      }
      std::vector<std::string> found;
      for (const std::string& name : present) {
        if (!wanted.count(name)) found.push_back("exported symbol " + name + " not in --exports");
      }
      for (const std::string& name : wanted) {
        if (!present.count(name)) found.push_back("export " + name + " missing");
      }
      record("exports.set", "exports", "the image exports exactly the --exports list",
             joined(wanted), found, joined(present));
    }
    if (options_.symbol_version.empty()) return;
    const std::string& version = options_.symbol_version;
    const std::string expected = "@@" + version;
    if (!image_.dynamic_value(DT_VERSYM)) {
      record("exports.version", "exports", "every export is the default version " + expected,
             expected, {"the image has no DT_VERSYM, so no export is at " + expected});
      return;
    }
    std::vector<std::string> wrong_version, not_found;
    for (const Symbol* sym : exports) {
      if (!sym->is_default_version()) {
        wrong_version.push_back("export " + sym->name + " is a hidden version (@" + sym->version +
                                "), not " + expected);
      } else if (sym->version != version) {
        wrong_version.push_back("export " + sym->name + " is at version '" + sym->version +
                                "', not " + expected);
      } else {
        // The export must also be reachable the way C libraries look it up.
        if (image_.has_gnu_hash() && image_.lookup_gnu_hash(sym->name, version) == nullptr) {
          not_found.push_back("export " + sym->name + expected +
                              " is not found through DT_GNU_HASH");
        }
        if (image_.has_sysv_hash() && image_.lookup_sysv_hash(sym->name, version) == nullptr) {
          not_found.push_back("export " + sym->name + expected + " is not found through DT_HASH");
        }
      }
    }
    record("exports.version", "exports", "every export is the default version " + expected,
           expected, wrong_version);
    record("exports.hash_lookup", "hash",
           "DT_GNU_HASH and DT_HASH find every export at " + expected, "every export found",
           not_found);
  }

  // Returns false if the debug image cannot be used at all (exit 2).
  bool check_stackless(const ElfImage& debug) {
    for (const std::string& name : options_.stackless) {
      std::string error;
      const auto code = find_function_code(debug, name, error);
      if (!code) {
        std::fprintf(stderr, "vdsoforge check: --stackless %s: %s: %s\n", name.c_str(),
                     options_.debug_image.c_str(), error.c_str());
        return false;
      }
      const std::string id = "stackless." + name;
      const std::string title = name + " does not use the stack";
      // The shipped image must carry the very bytes that were analysed.
      const auto shipped = image_.bytes();
      const auto analysed = debug.bytes().subspan(code->file_offset, code->size);
      if (code->file_offset > shipped.size() || code->size > shipped.size() - code->file_offset ||
          !std::equal(analysed.begin(), analysed.end(),
                      shipped.begin() + static_cast<std::ptrdiff_t>(code->file_offset))) {
        record(id, "stackless", title, "no stack use",
               {"stackless " + name + ": the code in " + options_.image +
                " differs from the --debug-image " + options_.debug_image});
        continue;
      }
      const StackAnalysis analysis = analyze_stack_use(analysed, code->address);
      std::vector<std::string> found;
      for (const StackUse& use : analysis.uses) {
        found.push_back("stackless " + name + ": " + hex(use.address) + " " + use.instruction +
                        " " + use.reason);
      }
      const std::string summary =
          name + " (" + std::to_string(analysis.instructions) + " instructions)";
      if (found.empty()) stackless_summaries.push_back(summary);
      record(id, "stackless", title, "no stack use", found,
             found.empty() ? std::to_string(analysis.instructions) + " instructions, no stack use"
                           : "");
    }
    return true;
  }

  std::string summary() const {
    const auto exports = exported_symbols(image_);
    std::string text = options_.image + " OK: exports";
    for (const Symbol* sym : exports) text += " " + sym->name;
    if (!options_.symbol_version.empty()) text += " @@" + options_.symbol_version;
    text +=
        "; one read-only PT_LOAD; no relocations, undefined symbols, DT_NEEDED or writable "
        "sections";
    if (!stackless_summaries.empty()) {
      text += "; stackless:";
      for (const std::string& s : stackless_summaries) text += " " + s;
    }
    return text;
  }

 private:
  static std::string joined(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text.empty() ? "(none)" : text;
  }

  // One rule's verdict: it passes when nothing was found.  Its actual value
  // is `actual_value` when the rule has one (the culprits are then the
  // detail), else the culprits themselves (or the expected value).
  void record(const std::string& name, const std::string& group, const std::string& title,
              const std::string& expected, const std::vector<std::string>& found,
              const std::string& actual_value = "") {
    std::string listed;
    for (const std::string& culprit : found) listed += (listed.empty() ? "" : "; ") + culprit;
    report::CheckResult result{
        .name = name, .group = group, .title = title, .pass = found.empty(), .expected = expected};
    if (!actual_value.empty()) {
      result.actual = actual_value;
      result.detail = listed;
    } else {
      result.actual = found.empty() ? expected : listed;
      result.detail = found.empty() ? "" : "the image breaks this vDSO rule";
    }
    results.push_back(std::move(result));
    culprits.insert(culprits.end(), found.begin(), found.end());
  }

  const CheckOptions& options_;
  const ElfImage& image_;
};

// Exit status 2: the message on stderr, and in the requested reports as an
// error so a CI job shows why nothing was checked.
int cannot_check(const CheckOptions& options, const std::string& message) {
  std::fprintf(stderr, "vdsoforge check: %s\n", message.c_str());
  const report::CheckRun run{.command = "check", .artifact = options.image, .error = message};
  std::string error;
  if (!options.reports.write(run, error))
    std::fprintf(stderr, "vdsoforge check: %s\n", error.c_str());
  return 2;
}

int run_check(const CheckOptions& options) {
  if (!options.stackless.empty() && options.debug_image.empty()) {
    std::fprintf(
        stderr,
        "vdsoforge check: --stackless needs --debug-image (the unstripped image with .symtab)\n");
    return 2;
  }
  Error err;
  const auto image = ElfImage::parse_file(options.image, ParseMode::inspect, err);
  if (!image) {
    return cannot_check(options, err.message + " (" + std::string(errc_name(err.code)) + ")");
  }
  Checker checker(options, *image);
  checker.check_structure();
  checker.check_exports();
  if (!options.stackless.empty()) {
    const auto debug = ElfImage::parse_file(options.debug_image, ParseMode::inspect, err);
    if (!debug) {
      return cannot_check(
          options, "--debug-image " + err.message + " (" + std::string(errc_name(err.code)) + ")");
    }
    if (!checker.check_stackless(*debug)) return 2;
  }
  const report::CheckRun run{
      .command = "check", .artifact = options.image, .checks = checker.results};
  std::string error;
  if (!options.reports.write(run, error)) {
    std::fprintf(stderr, "vdsoforge check: %s\n", error.c_str());
    return 2;
  }
  if (!checker.culprits.empty()) {
    for (const std::string& culprit : checker.culprits) {
      std::fprintf(stderr, "vdsoforge check: %s\n", culprit.c_str());
    }
    std::fprintf(stderr, "vdsoforge check: %s breaks %zu vDSO rule%s\n", options.image.c_str(),
                 checker.culprits.size(), checker.culprits.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("vdsoforge check: %s\n", checker.summary().c_str());
  return 0;
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<CheckOptions>();
      sub.footer(
          "Exit status: 0 the image follows every rule, 1 it breaks at least one (each culprit\n"
          "is printed on its own line), 2 an input cannot be read or parsed.\n"
          "Rules: one read-only PT_LOAD at offset 0; no relocations, DT_NEEDED, undefined\n"
          "symbols, .data/.bss/.got/.plt sections; both hash tables find every export.");
      sub.add_option("image", options->image, "the (stripped) image to check")->required();
      sub.add_option("--exports", options->exports_csv,
                     "comma-separated list: the exact set of symbols the image must export")
          ->each([options](const std::string&) { options->exports_given = true; });
      sub.add_option("--symbol-version", options->symbol_version,
                     "every export must be the default version @@VERSION (e.g. LINUX_2.6)");
      sub.add_option("--stackless", options->stackless,
                     "function (in --debug-image's .symtab) that must not use the stack: no "
                     "push/pop/call/enter/leave, no rsp/rbp-based memory operand, no write to "
                     "rsp; repeatable")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      sub.add_option("--debug-image", options->debug_image,
                     "the unstripped image (with .symtab) the stripped IMAGE was made from");
      options->reports.add_options(sub);
      return [options] { return run_check(*options); };
    },
    "check", "fail, naming each culprit, if an image breaks a vDSO rule"}};

}  // namespace

}  // namespace vdsoforge::tools
