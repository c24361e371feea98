// vdsoforge embed IMAGE [-o FILE] [--format header|kernel] [--name PREFIX]
//
// header (the default): a C header carrying the image and its layout, for a
// sandbox or kernel that wants to map the image without parsing ELF at run
// time.  kernel: the vdso-image-64.c a Linux 6.12 x86-64 build compiles in
// place of the one it generates from its own vDSO.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "command.h"
#include "embed/embed_header.h"
#include "embed/kernel_vdso_source.h"
#include "input_error.h"
#include "output_file.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

namespace {

struct EmbedOptions {
  std::string image;
  std::string output;  // empty: standard output
  std::string prefix = "vdso_image";
  bool prefix_given = false;
  std::string format = "header";
};

// The text of the chosen format, or false with `error` set.
bool generate(const ElfImage& elf, const EmbedOptions& options, std::string& text,
              std::string& error) {
  const std::string source_name = std::filesystem::path(options.image).filename().string();
  if (options.format == "kernel") {
    KernelVdsoSource source;
    if (!generate_kernel_vdso_source(elf, source_name, source, error)) return false;
    text = std::move(source.text);
    return true;
  }
  const EmbedInput input{.source_name = source_name, .prefix = options.prefix};
  return generate_embed_header(elf, input, text, error);
}

int run_embed(const EmbedOptions& options) {
  if (options.format == "kernel" && options.prefix_given) {
    std::fprintf(stderr,
                 "vdsoforge embed: --name does not apply to --format kernel: the kernel "
                 "expects vdso_image_64\n");
    return 2;
  }
  ElfError err;
  // Strict: an embedded image is mapped and run, so it must follow every rule.
  const auto elf = ElfImage::parse_file(options.image, ParseMode::strict, err);
  if (!elf) {
    std::fprintf(stderr, "vdsoforge embed: %s\n",
                 refused_input(options.image, err).text(options.image).c_str());
    return 2;
  }
  std::string text, error;
  if (!generate(*elf, options, text, error)) {
    std::fprintf(stderr, "vdsoforge embed: %s: %s\n", options.image.c_str(), error.c_str());
    return 2;
  }
  if (!write_output_file(options.output, text, error)) {
    std::fprintf(stderr, "vdsoforge embed: %s\n", error.c_str());
    return 2;
  }
  return 0;
}

const CommandRegistration registration{Command{
    .setup = [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<EmbedOptions>();
      sub.add_option("image", options->image, "the image to embed")->required();
      sub.add_option("-o,--output", options->output, "file to write (default: stdout)");
      sub.add_option("--format", options->format,
                     "header: a C header for sandboxes and loaders; kernel: vdso-image-64.c "
                     "for a Linux 6.12 x86-64 kernel build (docs/kernel.md)")
          ->check(CLI::IsMember({"header", "kernel"}))
          ->capture_default_str();
      CLI::Option* name =
          sub.add_option("--name", options->prefix,
                         "C identifier prefixing every generated name (header format)")
              ->capture_default_str();
      return [options, name] {
        options->prefix_given = name->count() > 0;
        return run_embed(*options);
      };
    },
    .name = "embed",
    .summary = "generate a C header with the image bytes, its layout and export offsets, "
               "or a kernel's vdso-image-64.c",
}};

}  // namespace

}  // namespace vdsoforge::tools
