// vdsoforge check [--exports a,b] [--symbol-version V] [--stackless SYM]... [--debug-image F] IMAGE
//
// The build's gate for every image: fails (exit 1), naming each culprit on its
// own line, if IMAGE breaks a vDSO rule — relocations, undefined symbols,
// DT_NEEDED, writable data/GOT/PLT sections, a writable or second loadable
// segment, exports other than expected or at another version, hash tables
// that miss an export — or if a routine that must be stackless touches the
// stack.  Exit 2 if an input cannot be read or parsed, 0 with a one-line
// summary if everything holds.
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "check/image_check.h"
#include "command.h"
#include "input_error.h"
#include "report_files.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/vdso_rules.h"

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

// An empty item (",," or a trailing comma) names nothing.
std::set<std::string> split_csv(const std::string& csv) {
  std::set<std::string> items;
  for (size_t begin = 0; begin <= csv.size();) {
    size_t end = csv.find(',', begin);
    if (end == std::string::npos) end = csv.size();
    if (end > begin) items.insert(csv.substr(begin, end - begin));
    begin = end + 1;
  }
  return items;
}

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
  RefusedInput refused;
  const auto image = inspect_file(options.image, refused);
  if (!image)
    return cannot_check(options,
                        refused_input(options.image, std::move(refused)).text(options.image));
  ElfError err;
  std::optional<ElfImage> debug;
  if (!options.stackless.empty()) {
    debug = ElfImage::parse_file(options.debug_image, ParseMode::inspect, err);
    if (!debug) {
      return cannot_check(
          options,
          "--debug-image " + refused_input(options.debug_image, err).text(options.debug_image));
    }
  }
  CheckRules rules{.symbol_version = options.symbol_version, .stackless = options.stackless};
  if (options.exports_given) rules.exports = split_csv(options.exports_csv);
  CheckFindings findings;
  std::string error;
  if (!check_image(*image, options.image, debug ? &*debug : nullptr, options.debug_image, rules,
                   findings, error)) {
    std::fprintf(stderr, "vdsoforge check: %s\n", error.c_str());
    return 2;
  }
  const report::CheckRun run{
      .command = "check", .artifact = options.image, .checks = findings.results};
  if (!options.reports.write(run, error)) {
    std::fprintf(stderr, "vdsoforge check: %s\n", error.c_str());
    return 2;
  }
  if (!findings.culprits.empty()) {
    for (const std::string& culprit : findings.culprits) {
      std::fprintf(stderr, "vdsoforge check: %s\n", culprit.c_str());
    }
    std::fprintf(stderr, "vdsoforge check: %s breaks %zu vDSO rule%s\n", options.image.c_str(),
                 findings.culprits.size(), findings.culprits.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("vdsoforge check: %s\n",
              check_summary(*image, options.image, rules, findings).c_str());
  return 0;
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<CheckOptions>();
      sub.footer(
          "Exit status: 0 the image follows every rule, 1 it breaks at least one (each culprit\n"
          "is printed on its own line), 2 an input cannot be read or parsed.\nRules: " +
          std::string(vdso_rules::kCheckRulesHelp));
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
