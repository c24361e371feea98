// The C header `vdsoforge embed` writes: an image as a page-aligned byte
// array plus everything needed to map and call it without parsing ELF at run
// time (sizes, the data-area layout, the offset of every export), in the
// spirit of the kernel's vdso2c.
#pragma once

#include <string>

#include "vdsoforge/elf_image.h"

namespace vdsoforge::tools {

struct EmbedInput {
  std::string source_name;  // shown in the header's comment
  std::string prefix;       // C identifier prefixing every generated name
};

// True if `name` is a valid C identifier (the prefix and symbol names must be).
bool is_c_identifier(const std::string& name);

// Fills `header` and returns true, or returns false with `error` saying why
// the image cannot be embedded (no data-layout note, an export name that is
// no C identifier ...).
bool generate_embed_header(const ElfImage& elf, const EmbedInput& input, std::string& header,
                           std::string& error);

}  // namespace vdsoforge::tools
