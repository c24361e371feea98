// The files a command uses when none is named: the image (`run`, `exec`,
// `abi`) and the demo consumer (`exec --demo`).  One look-up for all of
// them, so an installed tool never reaches for the build tree it was
// compiled in (a .deb would otherwise carry a path of the machine that built
// it).
#pragma once

#include <string>

namespace vdsoforge::tools {

// The tool started from its build tree (build/<preset>/tools/vdsoforge)
// uses the files built there; any other copy uses the files installed with
// it, found relative to its own executable so the prefix can move:
// <prefix>/bin/vdsoforge -> <prefix>/lib/vdsoforge/images/vdsoforge-getrandom.so.
std::string default_image_path();
// <prefix>/lib/vdsoforge/getrandom-probe (tools/probe/getrandom_probe.c).
std::string demo_program_path();

// What --help and the man page say about the defaults: the rule, not the
// path of the machine that generated the page.
inline constexpr const char* kDefaultImageHelp =
    "the image installed with the tool, PREFIX/" VDSOFORGE_IMAGE_INSTALL_DIR
    "/vdsoforge-getrandom.so; in a build tree, the one built there";
inline constexpr const char* kDemoProgramHelp =
    "PREFIX/" VDSOFORGE_PROBE_INSTALL_PATH ", installed with the tool";

}  // namespace vdsoforge::tools
