// vdsoforge embed IMAGE [-o FILE] [--name PREFIX]
//
// Writes a C header carrying the image and its layout, for a kernel build or
// a sandbox that wants to map the image without parsing ELF at run time.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "command.h"
#include "embed/embed_header.h"
#include "input_error.h"
#include "output_file.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

namespace {

struct EmbedOptions {
  std::string image;
  std::string output;  // empty: standard output
  std::string prefix = "vdso_image";
};

int run_embed(const EmbedOptions& options) {
  Error err;
  // Strict: an embedded image is mapped and run, so it must follow every rule.
  const auto elf = ElfImage::parse_file(options.image, ParseMode::strict, err);
  if (!elf) {
    std::fprintf(stderr, "vdsoforge embed: %s\n",
                 refused_input(options.image, err).text(options.image).c_str());
    return 2;
  }
  std::string header, error;
  const EmbedInput input{.source_name = std::filesystem::path(options.image).filename().string(),
                         .prefix = options.prefix};
  if (!generate_embed_header(*elf, input, header, error)) {
    std::fprintf(stderr, "vdsoforge embed: %s: %s\n", options.image.c_str(), error.c_str());
    return 2;
  }
  if (!write_output_file(options.output, header, error)) {
    std::fprintf(stderr, "vdsoforge embed: %s\n", error.c_str());
    return 2;
  }
  return 0;
}

const CommandRegistration registration{Command{
    .setup = [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<EmbedOptions>();
      sub.add_option("image", options->image, "the image to embed")->required();
      sub.add_option("-o,--output", options->output, "header to write (default: stdout)");
      sub.add_option("--name", options->prefix, "C identifier prefixing every generated name")
          ->capture_default_str();
      return [options] { return run_embed(*options); };
    },
    .name = "embed",
    .summary = "generate a C header with the image bytes, its layout and export offsets",
}};

}  // namespace

}  // namespace vdsoforge::tools
