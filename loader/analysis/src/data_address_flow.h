// Which data addresses below a vDSO image one function's code may reach: a
// forward dataflow analysis over the function's control-flow graph, private
// to the layout detector (layout_detect.cpp).
//
// Per general-purpose register it keeps the values the register may hold on
// some path, as far as they matter for finding the data pages: an address
// below the image (taken by a RIP-relative lea and moved, added to or
// subtracted from), a constant (an immediate, or the difference of two such
// addresses), or a 32-bit value loaded from such an address.  Compilers
// reach the same rng data in different ways; Clang takes the time-namespace
// copy's address with a second RIP-relative lea, GCC 12 adds the difference
// of two leas (&timens data - &vvar data) to the first address on a branch
// that jumps back.  Following values along the branches, not down the bytes,
// sees both.
//
// It is a "may" analysis: where paths meet, the values are joined, and a
// register that is unknown on one path keeps what the other paths give it
// (a register reloaded from the stack is unknown, not "no address").  That
// over-approximates, which the detector tolerates: it reports conflicting
// results as conflicts and never resolves them by guessing.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "vdsoforge/layout_detect.h"
#include "x86_decoder.h"

namespace vdsoforge::detail {

struct DataFlowResult {
  std::vector<DataReference> references;  // in code order, each (instruction, distance, width) once
  // Distances of the 32-bit values compared with VDSO_CLOCKMODE_TIMENS.
  std::set<uint64_t> clock_mode_distances;
  std::string failure;  // set when the analysis gave up; the rest is then empty
};

// How far the analysis follows.  The defaults are the getrandom detector's:
// one function, addresses below the image only.
struct FlowOptions {
  // A direct call to an instruction in `code` also passes the caller's
  // registers to the callee (joined over every call site), so a callee that
  // reads through a pointer argument is followed too.  The time functions
  // keep their paravirtual clock readers out of line.
  bool follow_calls = false;
  // Addresses at or above the image's first byte are followed as well (never
  // reported): code that takes the image base with lea and subtracts a
  // distance from it reaches the data pages that way.
  bool image_addresses = false;
};

// `code` is the function's instructions in address order, decoded at their
// run-time addresses (with gaps where the code is not contiguous: a callee
// decoded beside the function); `image_base` is the address of the image's
// first byte.
DataFlowResult follow_data_addresses(const X86Decoder& decoder,
                                     const std::vector<DecodedInstruction>& code,
                                     uint64_t image_base, FlowOptions options = {});

}  // namespace vdsoforge::detail
