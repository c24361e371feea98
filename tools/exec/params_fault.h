// Changing what the image's parameter query answers, for `params` lines of a
// fault scenario, without touching the image's code.
//
// A consumer first calls __vdso_getrandom(NULL, 0, 0, &params, ~0UL) to
// learn the state size and how to map states.  Two answers real kernels give
// (or could give) that a consumer must survive:
//   decline     as s390 without its vector facility (facility 129) answers:
//               the query returns -ENOSYS, the record is left as the caller
//               had it, and every other call is the getrandom system call;
//   state-size  the record with another size_of_opaque_state: more than a
//               page (no state may straddle one), or a size the image's
//               code then refuses as opaque_len.
// The text `exec` maps gets a small entry routine after the image (in a page
// of its own), and the dynamic symbols that name the getrandom entry point
// point to it; the image's code and hash tables are untouched.  With
// state-size the routine calls the image's code for the query, changes the
// size, and jumps to that code for every other call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fault_scenario.h"
#include "vdsoforge/elf_image.h"

namespace vdsoforge::exec {

// Edits the text copy (which it may grow); false with `error` set.
using TextPatch =
    std::function<bool(std::vector<uint8_t>& text, const ElfImage& elf, std::string& error)>;

// The patch for the scenario's `params` line; empty for none.
TextPatch params_patch(const FaultScenario& scenario);

}  // namespace vdsoforge::exec
