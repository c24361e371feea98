// Deliberately broken copies of the built image, to prove the suite notices.
//
// The shipped image is patched in its machine code (vdso_src carries no
// test-only fault hooks): the unstripped twin's symbol table says where each
// function lies, Zydis decodes it, and chosen instructions are replaced.  The
// image maps file offset 0 at address 0, so a symbol's value is its offset.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conformance {

struct FunctionRange {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Finds `name` in the .symtab of the unstripped image.  Fills `error` and
// returns nullopt if the file or the symbol is missing.
std::optional<FunctionRange> find_function(const std::string& debug_image_path,
                                           std::string_view name, std::string& error);

using InstructionMatch =
    std::function<bool(const ZydisDecodedInstruction&, const ZydisDecodedOperand*)>;
// Rewrites the instruction in place (its bytes, of length instruction.length).
using InstructionPatch = std::function<void(uint8_t* bytes, const ZydisDecodedInstruction&)>;

// Decodes `function` in `image` from start to end and patches each matching
// instruction.  Returns how many were patched, or -1 (with `error`) if the
// code could not be decoded.
long patch_function(std::vector<uint8_t>& image, FunctionRange function,
                    const InstructionMatch& match, const InstructionPatch& patch,
                    std::string& error);

// Replaces an instruction with one-byte NOPs.
void nop_out(uint8_t* bytes, const ZydisDecodedInstruction& instruction);

}  // namespace conformance
