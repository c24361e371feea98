// vdsoforge abi [IMAGE] [--reference FILE] [--reference-profile PROFILE] [--json]
//               [--junit FILE] [--sarif FILE] [--consumers] [--require-consumer ID,...]
//
// Is IMAGE a drop-in for the reference vDSO (the running kernel's unless
// --reference names a file)?  Exit status: 0 compatible, 1 incompatible,
// 2 an input cannot be read, 3 undetermined (no check failed, but the data
// layout of one side could not be found: name the kernel's profile).  --consumers adds what each
// modelled consumer (glibc, Go, musl, the selftests' parser, LLVM libc) would do with IMAGE;
// --require-consumer makes 0/1 mean "every named consumer would use IMAGE"
// instead, for a CI job that cares about those consumers only.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "consumers/consumer_model.h"
#include "default_files.h"
#include "input_error.h"
#include "report_files.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"
#include "verdict/evaluate.h"
#include "verdict/verdict_json.h"
#include "verdict/verdict_reports.h"
#include "verdict/verdict_text.h"

namespace vdsoforge::tools {

namespace {

struct AbiOptions {
  std::string image = default_image_path();
  std::string reference;          // empty: the running kernel's vDSO
  std::string reference_profile;  // empty: the reference's layout from its code
  bool json = false;
  report::ReportFiles reports;
  bool consumers = false;
  std::vector<std::string> required;  // consumer ids
};

// The file at `path`, or with an empty path the running kernel's vDSO,
// parsed in inspect mode; or why it cannot be read.
verdict::Input load_input(const std::string& path) {
  verdict::Input input;
  input.info.running_kernel = path.empty();
  input.info.source = path.empty() ? "kernel" : path;
  if (!path.empty()) {
    RefusedInput refused;
    input.elf = inspect_file(path, refused);
    if (!input.elf) {
      InputError error = refused_input(path, std::move(refused));
      input.error_code = std::move(error.code);
      input.error_message = path + ": " + error.reason;
      return input;
    }
    input.info.size = input.elf->bytes().size();
    input.info.description = path + " (" + std::to_string(input.info.size) + " bytes)";
    return input;
  }
  Error err;
  const auto vdso = find_kernel_vdso(err);
  if (vdso) {
    ElfError refusal;
    input.elf = ElfImage::parse(vdso->bytes, ParseMode::inspect, refusal);
    if (!input.elf) err = refusal;
  }
  if (!input.elf) {
    input.error_code = std::string(errc_name(err.code));
    input.error_message = "the running kernel's vDSO: " + err.message;
    return input;
  }
  input.info.size = vdso->bytes.size();
  input.info.description =
      "the running kernel's vDSO (" + std::to_string(input.info.size) + " bytes as mapped)";
  return input;
}

int run_abi(const AbiOptions& options) {
  const verdict::Options evaluation{
      .reference_profile = options.reference_profile.empty()
                               ? nullptr
                               : layout::profile_named(options.reference_profile.c_str()),
      .consumers = options.consumers,
      .required_consumers = options.required};
  const verdict::Input image = load_input(options.image);
  const verdict::Input reference = load_input(options.reference);
  const verdict::Verdict verdict = verdict::evaluate(image, reference, evaluation);

  std::cout << (options.json ? verdict::render_json(verdict) : verdict::render_text(verdict));
  if (verdict.failure) std::fprintf(stderr, "vdsoforge abi: %s\n", verdict.failure->text.c_str());
  std::string error;
  if (!options.reports.write(verdict::check_run(verdict), error)) {
    std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
    return 2;
  }
  return verdict::exit_status(verdict);
}

// CLI11 check: a profile's name.
std::string known_profile(const std::string& name) {
  if (layout::profile_named(name.c_str()) != nullptr) return {};
  std::string known;
  for (const layout::Profile* p : layout::kProfiles) known += " " + std::string(p->name);
  return "unknown profile '" + name + "'; known:" + known;
}

// CLI11 check: every id names a model.
std::string known_consumer(const std::string& id) {
  if (consumers::find_model(id) != nullptr) return {};
  std::string known;
  for (const auto& model : consumers::all_models()) known += " " + std::string(model->id());
  return "unknown consumer '" + id + "'; known:" + known;
}

const CommandRegistration registration{Command{
    .setup = [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<AbiOptions>();
      sub.add_option("image", options->image,
                     std::string("the image to check (default: ") + kDefaultImageHelp + ")");
      sub.add_option("--reference,-r", options->reference,
                     "reference vDSO file (default: the running kernel's vDSO)");
      sub.add_option("--reference-profile", options->reference_profile,
                     "the reference kernel's data layout, when its code does not show it: "
                     "linux-6.11 (Linux 6.11-6.12), linux-6.13 (6.13-6.14) or linux-6.15 (6.15 "
                     "and later)")
          ->check(CLI::Validator(known_profile, "PROFILE"));
      sub.add_flag("--json", options->json,
                   "machine-readable report (schema vdsoforge-abi/1, see docs/integration.md)");
      options->reports.add_options(sub);
      sub.add_flag("--consumers", options->consumers,
                   "also say what glibc, Go, musl, the selftests' parse_vdso.c and LLVM libc "
                   "would do with the image (models in docs/abi.md)");
      sub.add_option("--require-consumer", options->required,
                     "exit 1 only if one of these consumers would not use the image, 0 "
                     "otherwise (comma-separated: glibc,go,musl,parse_vdso,llvm_libc)")
          ->delimiter(',')
          ->check(CLI::Validator(known_consumer, "CONSUMER"));
      return [options] { return run_abi(*options); };
    },
    .name = "abi",
    .summary = "check an image's ABI and data layout against the kernel's vDSO (exit 0 "
               "compatible, 1 not, 2 unreadable input, 3 layout undetermined)",
}};

}  // namespace

}  // namespace vdsoforge::tools
