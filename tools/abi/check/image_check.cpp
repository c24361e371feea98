#include "check/image_check.h"

#include <elf.h>

#include <algorithm>
#include <utility>

#include "vdsoforge/elf_exports.h"
#include "vdsoforge/elf_symtab.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/stack_analysis.h"
#include "vdsoforge/vdso_rules.h"

namespace vdsoforge::tools {
namespace {

// Every rule becomes one named check (for --junit/--sarif); its culprits,
// in the order found, are also the text report's lines.
class Checker {
 public:
  Checker(const ElfImage& image, const std::string& image_name, const CheckRules& rules,
          CheckFindings& findings)
      : image_(image), image_name_(image_name), rules_(rules), findings_(findings) {}

  void check_structure() {
    std::vector<std::string> found;
    for (const Violation& v : image_.violations()) found.push_back(v.message);
    record(vdso_rules::kParser, "none", found);

    found.clear();
    for (const Section& section : image_.sections()) {
      if (vdso_rules::is_relocation_section(section.type)) {
        found.push_back("relocation section " + section.name);
      } else if (const auto* forbidden = vdso_rules::find_forbidden_section(section.name)) {
        found.push_back("section " + section.name + " present (" + std::string(forbidden->why) +
                        ")");
      }
    }
    record(vdso_rules::kNoForbiddenSections, "none", found);

    found.clear();
    for (const Symbol& sym : image_.symbols()) {
      if (sym.index != 0 && sym.shndx == SHN_UNDEF) found.push_back("undefined symbol " + sym.name);
    }
    record(vdso_rules::kNoUndefinedSymbols, "none", found);
  }

  void check_exports() {
    const auto exports = exported_symbols(image_);
    std::set<std::string> present;
    for (const Symbol* sym : exports) present.insert(sym->name);
    if (rules_.exports) {
      const std::set<std::string>& wanted = *rules_.exports;
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
    if (rules_.symbol_version.empty()) return;
    const std::string& version = rules_.symbol_version;
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
        for (const HashTable table : kHashTables) {
          if (has_hash_table(image_, table) && !hash_table_finds(image_, table, *sym)) {
            not_found.push_back("export " + sym->name + expected + " is not found through " +
                                std::string(hash_table_tag(table)));
          }
        }
      }
    }
    record("exports.version", "exports", "every export is the default version " + expected,
           expected, wrong_version);
    record("exports.hash_lookup", "hash",
           "DT_GNU_HASH and DT_HASH find every export at " + expected, "every export found",
           not_found);

    // The version's own symbol, as GNU ld emits it and the kernel's vDSO has it.
    const std::string wanted = "ABS OBJECT GLOBAL DEFAULT " + expected;
    const std::string have = version_symbol_text(find_version_symbol(image_, version));
    std::vector<std::string> symbol_found;
    if (have != wanted) {
      symbol_found.push_back("version symbol " + version + " is " + have + ", not " + wanted +
                             " (GNU ld emits one per version; the kernel's vDSO has it)");
    }
    record("versions.symbol", "versions", "the version's own symbol " + version + " is " + wanted,
           wanted, symbol_found);
  }

  // Returns false, with `error`, if the debug image cannot be used at all.
  bool check_stackless(const ElfImage& debug, const std::string& debug_name, std::string& error) {
    for (const std::string& name : rules_.stackless) {
      std::string find_error;
      const auto code = find_function_code(debug, name, find_error);
      if (!code) {
        error = "--stackless " + name + ": " + debug_name + ": " + find_error;
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
               {"stackless " + name + ": the code in " + image_name_ +
                " differs from the --debug-image " + debug_name});
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
      if (found.empty()) findings_.stackless_summaries.push_back(summary);
      record(id, "stackless", title, "no stack use", found,
             found.empty() ? std::to_string(analysis.instructions) + " instructions, no stack use"
                           : "");
    }
    return true;
  }

 private:
  static std::string joined(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text.empty() ? "(none)" : text;
  }

  // A rule of the table (vdso_rules.h), under its id and title.
  void record(const vdso_rules::Rule& rule, const std::string& expected,
              const std::vector<std::string>& found) {
    record(std::string(rule.id), std::string(rule.group()), std::string(rule.title), expected,
           found);
  }

  // One rule's verdict: it passes when nothing was found.  Its actual value
  // is `actual_value` when the rule has one (the culprits are then the
  // detail), else the culprits themselves (or the expected value).
  void record(const std::string& name, const std::string& group, const std::string& title,
              const std::string& expected, const std::vector<std::string>& found,
              const std::string& actual_value = "") {
    std::string listed;
    for (const std::string& culprit : found) listed += (listed.empty() ? "" : "; ") + culprit;
    report::Check result{
        .id = name, .group = group, .title = title, .pass = found.empty(), .expected = expected};
    if (!actual_value.empty()) {
      result.actual = actual_value;
      result.detail = listed;
    } else {
      result.actual = found.empty() ? expected : listed;
      result.detail = found.empty() ? "" : "the image breaks this vDSO rule";
    }
    findings_.results.push_back(std::move(result));
    findings_.culprits.insert(findings_.culprits.end(), found.begin(), found.end());
  }

  const ElfImage& image_;
  const std::string& image_name_;
  const CheckRules& rules_;
  CheckFindings& findings_;
};

}  // namespace

bool check_image(const ElfImage& image, const std::string& image_name, const ElfImage* debug,
                 const std::string& debug_name, const CheckRules& rules, CheckFindings& findings,
                 std::string& error) {
  Checker checker(image, image_name, rules, findings);
  checker.check_structure();
  checker.check_exports();
  if (rules.stackless.empty()) return true;
  if (debug == nullptr) {
    error = "--stackless needs --debug-image (the unstripped image with .symtab)";
    return false;
  }
  return checker.check_stackless(*debug, debug_name, error);
}

std::string check_summary(const ElfImage& image, const std::string& image_name,
                          const CheckRules& rules, const CheckFindings& findings) {
  std::string text = image_name + " OK: exports";
  for (const Symbol* sym : exported_symbols(image)) text += " " + sym->name;
  if (!rules.symbol_version.empty()) text += " @@" + rules.symbol_version;
  text += "; " + std::string(vdso_rules::kCheckSummary);
  if (!findings.stackless_summaries.empty()) {
    text += "; stackless:";
    for (const std::string& s : findings.stackless_summaries) text += " " + s;
  }
  return text;
}

}  // namespace vdsoforge::tools
