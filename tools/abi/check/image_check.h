// The rules every vDSO image must follow, checked on a parsed image: what
// `vdsoforge check` (the image build's gate) reports.  Every rule is one named
// check (for --junit/--sarif); each broken rule also yields culprit lines
// naming what breaks it, in the order found.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/check.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

struct CheckRules {
  std::optional<std::set<std::string>> exports;  // the exact export set, when given
  std::string symbol_version;                    // every export @@this, when not empty
  std::vector<std::string> stackless;            // functions that must not touch the stack
};

struct CheckFindings {
  std::vector<std::string> culprits;  // empty: the image follows every rule
  std::vector<report::Check> results;
  std::vector<std::string> stackless_summaries;  // "name (N instructions)" per proven routine
};

// `image` (named `image_name` in messages) must have been parsed in
// ParseMode::inspect.  `debug` is the unstripped image the stackless routines
// are found in (named `debug_name`); it is needed only when rules.stackless
// is not empty.  Returns false with `error` set if the debug image cannot be
// used at all (no .symtab, no such function ...), which is no verdict.
bool check_image(const ElfImage& image, const std::string& image_name, const ElfImage* debug,
                 const std::string& debug_name, const CheckRules& rules, CheckFindings& findings,
                 std::string& error);

// The one-line summary of an image that passed.
std::string check_summary(const ElfImage& image, const std::string& image_name,
                          const CheckRules& rules, const CheckFindings& findings);

}  // namespace vdsoforge::tools
