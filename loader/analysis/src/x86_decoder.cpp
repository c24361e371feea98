#include "x86_decoder.h"

namespace vdsoforge {

X86Decoder::X86Decoder() {
  ready_ =
      ZYAN_SUCCESS(ZydisDecoderInit(&decoder_, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) &&
      ZYAN_SUCCESS(ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_INTEL));
}

bool X86Decoder::decode(std::span<const uint8_t> code, size_t offset, uint64_t address,
                        DecodedInstruction& out) const {
  if (!ready_ || offset >= code.size()) return false;
  out.address = address;
  return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, code.data() + offset, code.size() - offset,
                                             &out.instruction, out.operands));
}

std::string X86Decoder::format(const DecodedInstruction& decoded) const {
  char text[256];
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter_, &decoded.instruction,
                                                    decoded.operands,
                                                    decoded.instruction.operand_count_visible, text,
                                                    sizeof text, decoded.address, ZYAN_NULL))) {
    return "(unformattable)";
  }
  return text;
}

bool X86Decoder::rip_relative_target(const DecodedInstruction& decoded,
                                     const ZydisDecodedOperand& op, uint64_t& target) {
  if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.base != ZYDIS_REGISTER_RIP) return false;
  ZyanU64 absolute = 0;
  if (!ZYAN_SUCCESS(
          ZydisCalcAbsoluteAddress(&decoded.instruction, &op, decoded.address, &absolute)))
    return false;
  target = absolute;
  return true;
}

}  // namespace vdsoforge
