#include "image_mutants.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/elf_symtab.h"

namespace conformance {

std::optional<FunctionRange> find_function(const std::string& debug_image_path,
                                           std::string_view name, std::string& error) {
  vdsoforge::ElfError err;
  const auto elf =
      vdsoforge::ElfImage::parse_file(debug_image_path, vdsoforge::ParseMode::inspect, err);
  if (!elf) {
    error = debug_image_path + ": " + err.message;
    return std::nullopt;
  }
  // The one .symtab reader, as the build check and the stack analysis use it.
  const auto code = vdsoforge::find_function_code(*elf, name, error);
  if (!code) {
    error = debug_image_path + ": " + error;
    return std::nullopt;
  }
  return FunctionRange{code->file_offset, code->size};
}

long patch_function(std::vector<uint8_t>& image, FunctionRange function,
                    const InstructionMatch& match, const InstructionPatch& patch,
                    std::string& error) {
  if (function.offset + function.size > image.size() || function.size == 0) {
    error = "function range outside the image";
    return -1;
  }
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  long patched = 0;
  uint64_t at = function.offset;
  const uint64_t end = function.offset + function.size;
  while (at < end) {
    ZydisDecodedInstruction instruction;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, image.data() + at, end - at, &instruction,
                                             operands))) {
      error = "cannot decode the instruction at offset " + std::to_string(at);
      return -1;
    }
    if (match(instruction, operands)) {
      patch(image.data() + at, instruction);
      ++patched;
    }
    at += instruction.length;
  }
  return patched;
}

void nop_out(uint8_t* bytes, const ZydisDecodedInstruction& instruction) {
  std::memset(bytes, 0x90, instruction.length);
}

}  // namespace conformance
