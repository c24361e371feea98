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
#include <optional>
#include <string>

#include "command.h"
#include "compat/compat_checks.h"
#include "compat/compat_report.h"
#include "compat/layout_checks.h"
#include "consumers/consumer_model.h"
#include "consumers/consumer_report.h"
#include "default_files.h"
#include "input_error.h"
#include "report/layout_report.h"
#include "report_files.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"

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

struct LoadedInput {
  std::optional<ElfImage> elf;
  compat::Input info;
  // Set when elf is empty: the code, and the message naming the input once.
  std::string error_code, error_message;
};

LoadedInput load_file(const std::string& path) {
  LoadedInput input;
  input.info.source = path;
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

LoadedInput load_kernel_vdso() {
  LoadedInput input;
  input.info.source = "kernel";
  Error err;
  const auto vdso = find_kernel_vdso(err);
  if (!vdso) {
    input.error_code = std::string(errc_name(err.code));
    input.error_message = "the running kernel's vDSO: " + err.message;
    return input;
  }
  ElfError refusal;
  input.elf = ElfImage::parse(vdso->bytes, ParseMode::inspect, refusal);
  if (!input.elf) {
    input.error_code = std::string(errc_name(refusal.code));
    input.error_message = "the running kernel's vDSO: " + refusal.message;
    return input;
  }
  input.info.size = vdso->bytes.size();
  input.info.description =
      "the running kernel's vDSO (" + std::to_string(input.info.size) + " bytes as mapped)";
  return input;
}

// Exit status 2: says which input failed and why, in the requested format.
int cannot_read(const AbiOptions& options, const char* which, const LoadedInput& input) {
  if (options.json) {
    std::cout << compat::error_json(which, input.error_code, input.error_message)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  }
  // The image is the command's own input; a reference file is named as
  // such (the kernel's vDSO names itself).
  const bool reference_file = std::string(which) == "reference" && !options.reference.empty();
  const std::string message =
      (reference_file ? "reference " : "") + input.error_message + " (" + input.error_code + ")";
  std::fprintf(stderr, "vdsoforge abi: %s\n", message.c_str());
  const report::CheckRun run{.command = "abi",
                             .artifact = options.image,
                             .reference = options.reference.empty() ? "kernel" : options.reference,
                             .error = message};
  std::string error;
  if (!options.reports.write(run, error))
    std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
  return 2;
}

// How a side's layout was found, or why it was not.
std::string side_basis(const compat::LayoutSide& side) {
  return side.known ? side.basis : "nothing it could read (" + side.why_unknown + ")";
}

// Exit status 2 for a command line that contradicts itself: the message on
// stderr, in the JSON and in the CI reports, as for an unreadable input.
int contradicted(const AbiOptions& options, const std::string& message) {
  std::fprintf(stderr, "vdsoforge abi: %s\n", message.c_str());
  if (options.json)
    std::cout << compat::error_json("reference", "profile_contradicted", message).dump(2) << "\n";
  const report::CheckRun run{.command = "abi",
                             .artifact = options.image,
                             .reference = options.reference.empty() ? "kernel" : options.reference,
                             .error = message};
  std::string error;
  if (!options.reports.write(run, error))
    std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
  return 2;
}

int run_abi(const AbiOptions& options) {
  const LoadedInput image = load_file(options.image);
  if (!image.elf) return cannot_read(options, "image", image);
  const LoadedInput reference =
      options.reference.empty() ? load_kernel_vdso() : load_file(options.reference);
  if (!reference.elf) return cannot_read(options, "reference", reference);

  const DetectedLayout image_layout = detect_data_layout(*image.elf);
  const DetectedLayout reference_layout = detect_data_layout(*reference.elf);
  const layout::Profile* named = options.reference_profile.empty()
                                     ? nullptr
                                     : layout::profile_named(options.reference_profile.c_str());
  // A named profile the reference's own code contradicts is a mistake in
  // the command line, not a verdict on the image.
  if (named && reference_layout.confidence == LayoutConfidence::certain &&
      reference_layout.profile != named) {
    return contradicted(options,
                        "--reference-profile " + options.reference_profile +
                            " contradicts the reference's code: " + describe(reference_layout));
  }

  compat::Report report;
  report.image = image.info;
  report.reference = reference.info;
  compat::compare(*image.elf, *reference.elf, report);
  const compat::LayoutSide image_side = compat::image_layout_side(*image.elf, image_layout);
  const compat::LayoutSide reference_side = compat::reference_layout_side(reference_layout, named);
  compat::add_layout_checks(image_side, reference_side, report);
  const bool with_consumers = options.consumers || !options.required.empty();
  const auto verdicts = with_consumers ? consumers::evaluate_all(*image.elf)
                                       : std::vector<consumers::ConsumerVerdict>{};
  const auto unmet = consumers::unmet_requirements(verdicts, options.required);
  if (options.json) {
    nlohmann::json json = compat::to_json(report);
    json["data_layout"] = {{"image", layout_json(*image.elf, image_layout)},
                           {"reference", layout_json(*reference.elf, reference_layout)}};
    // What the layout.* checks compared each side by.
    json["data_layout"]["image"]["judged_by"] = side_basis(image_side);
    json["data_layout"]["reference"]["judged_by"] = side_basis(reference_side);
    if (with_consumers) json["consumers"] = consumers::to_json(verdicts);
    if (!options.required.empty()) {
      json["required_consumers"] = {
          {"ids", options.required}, {"unmet", unmet}, {"met", unmet.empty()}};
    }
    // A damaged image's names need not be UTF-8: such bytes print as U+FFFD
    // rather than aborting the report.
    std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << compat::render_text(report);
    std::cout << "\nData layout, from each side's __vdso_getrandom code:\n"
              << layout_text("image:     ", *image.elf, image_layout)
              << layout_text("reference: ", *reference.elf, reference_layout)
              << "  layout.* checks judge the image by " << side_basis(image_side)
              << " and the reference by " << side_basis(reference_side) << "\n";
    if (with_consumers) std::cout << consumers::render_text(verdicts);
    if (!options.required.empty()) {
      std::string line = unmet.empty() ? "Required consumers: all would use the image"
                                       : "Required consumers: would NOT use the image:";
      for (const std::string& id : unmet) line += " " + id;
      std::cout << "\n" << line << "\n";
    }
  }
  std::string error;
  report::CheckRun run = compat::to_check_run(report);
  consumers::append_checks(verdicts, run);
  if (!options.reports.write(run, error)) {
    std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
    return 2;
  }
  if (!options.required.empty()) return unmet.empty() ? 0 : 1;
  switch (report.verdict()) {
    case compat::Verdict::compatible:
      return 0;
    case compat::Verdict::incompatible:
      return 1;
    case compat::Verdict::undetermined:
      return 3;
  }
  return 1;
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
