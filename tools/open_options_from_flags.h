// The loader's OpenOptions from the command line: `run` and `exec` open their
// image through this one builder, so the same flag means the same thing in
// both commands.
#pragma once

#include <optional>
#include <string>

#include "vdsoforge/loader.h"

namespace vdsoforge::tools {

// What the command line says about opening the image.  A command leaves the
// flags it does not have at their defaults.
struct ImageFlags {
  std::string chacha = "auto";            // --chacha: auto, sse2, avx2 or avx512 (checked by CLI11)
  std::optional<GenerationMode> mode;     // run --mode; exec --reseed-every drives it: manual
  bool time_namespace = false;            // run --timens
  std::optional<DataLayout> data_layout;  // exec --data-layout
  bool allow_damaged = false;             // exec --allow-damaged
};

OpenOptions open_options_from_flags(const ImageFlags& flags);

}  // namespace vdsoforge::tools
