// The clocks section of `vdsoforge run`: what the image's time functions
// return beside the kernel vDSO's, clock by clock.
#pragma once

#include <cstdio>

#include "vdsoforge/loader.h"

namespace vdsoforge::tools {

// Nothing for an image without __vdso_clock_gettime.
void print_clocks(FILE* out, LoadedImage& image);

}  // namespace vdsoforge::tools
