// The build's step between linking an image and checking it (not a command:
// main() runs it for `vdsoforge --finish-image FILE`, the way VdsoforgeImage.cmake
// calls it, like --generate-man-page for the man page).
//
// What it does: the version's own dynamic symbol (LINUX_2.6, ABS, value 0)
// gets the verdef's name string as its name.  GNU ld, which links the
// kernel's vDSO, keeps one copy of the string in .dynstr for both, and
// readelf then prints the symbol as plain "LINUX_2.6"; LLD writes a second
// copy for the symbol, which readelf prints as "LINUX_2.6@@LINUX_2.6".
// Pointing st_name at the verdef's vda_name makes the two read alike (the
// unused copy stays in .dynstr: removing it would move every later byte).
#pragma once

#include <string>

namespace vdsoforge::tools {

// Rewrites the image at `path` in place.  Returns false with `error` set if
// it cannot be read, parsed strictly or written, or if its version symbol
// would read differently afterwards.
bool finish_image(const std::string& path, std::string& error);

}  // namespace vdsoforge::tools
