// vdsoforge abi [IMAGE] [--reference FILE] [--json] [--junit FILE] [--sarif FILE]
//
// Is IMAGE a drop-in for the reference vDSO (the running kernel's unless
// --reference names a file)?  Exit status: 0 compatible, 1 incompatible,
// 2 an input cannot be read.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "abi_compare.h"
#include "abi_report.h"
#include "command.h"
#include "not_a_vdso.h"
#include "report_files.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"

namespace vdsoforge::tools {

namespace {

// An installed tool checks the image installed with it; a tool in a build
// tree checks that tree's image.
std::string default_image() {
#ifdef VDSOFORGE_INSTALLED_IMAGE
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path() / VDSOFORGE_INSTALLED_IMAGE;
    if (std::filesystem::exists(installed, ec)) return installed.lexically_normal().string();
  }
#endif
  return VDSOFORGE_DEFAULT_IMAGE;
}

struct AbiOptions {
  std::string image = default_image();
  std::string reference;  // empty: the running kernel's vDSO
  bool json = false;
  report::ReportFiles reports;
};

struct LoadedInput {
  std::optional<ElfImage> elf;
  abi::Input info;
  std::string error_code, error_message;  // set when elf is empty
};

LoadedInput load_file(const std::string& path) {
  LoadedInput input;
  input.info.source = path;
  Error err;
  input.elf = ElfImage::parse_file(path, ParseMode::inspect, err);
  if (!input.elf) {
    const auto not_a_vdso = not_a_vdso_message(path);
    input.error_code = not_a_vdso ? kNotAVdsoCode : std::string(errc_name(err.code));
    input.error_message = not_a_vdso ? *not_a_vdso : err.message;
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
    input.error_message = err.message;
    return input;
  }
  input.elf = ElfImage::parse(vdso->bytes, ParseMode::inspect, err);
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

// Exit status 2: says which input failed and why, in the requested format.
int cannot_read(const AbiOptions& options, const char* which, const LoadedInput& input) {
  if (options.json) {
    std::cout << abi::error_json(which, input.error_code, input.error_message).dump(2) << "\n";
  }
  const std::string message = "cannot read the " + std::string(which) + " " + input.info.source +
                              ": " + input.error_code + ": " + input.error_message;
  std::fprintf(stderr, "vdsoforge abi: %s\n", message.c_str());
  const report::CheckRun run{
      .command = "abi",
      .artifact = options.image,
      .reference = options.reference.empty() ? "kernel" : options.reference,
      .error = message};
  std::string error;
  if (!options.reports.write(run, error)) std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
  return 2;
}

int run_abi(const AbiOptions& options) {
  const LoadedInput image = load_file(options.image);
  if (!image.elf) return cannot_read(options, "image", image);
  const LoadedInput reference =
      options.reference.empty() ? load_kernel_vdso() : load_file(options.reference);
  if (!reference.elf) return cannot_read(options, "reference", reference);

  abi::Report report;
  report.image = image.info;
  report.reference = reference.info;
  abi::compare(*image.elf, *reference.elf, report);
  if (options.json) {
    std::cout << abi::to_json(report).dump(2) << "\n";
  } else {
    std::cout << abi::render_text(report);
  }
  std::string error;
  if (!options.reports.write(abi::to_check_run(report), error)) {
    std::fprintf(stderr, "vdsoforge abi: %s\n", error.c_str());
    return 2;
  }
  return report.compatible() ? 0 : 1;
}

const CommandRegistration registration{Command{
    .setup =
        [](CLI::App& sub) -> std::function<int()> {
          auto options = std::make_shared<AbiOptions>();
          sub.add_option("image", options->image, "the image to check")
              ->capture_default_str();
          sub.add_option("--reference,-r", options->reference,
                         "reference vDSO file (default: the running kernel's vDSO)");
          sub.add_flag("--json", options->json,
                       "machine-readable report (schema vdsoforge-abi/1, see docs/integration.md)");
          options->reports.add_options(sub);
          return [options] { return run_abi(*options); };
        },
    .name = "abi",
    .summary = "check an image's ABI against the kernel's vDSO (exit 0 compatible, 1 not, 2 unreadable input)",
}};

}  // namespace

}  // namespace vdsoforge::tools
