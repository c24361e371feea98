// One Zydis set-up for every part of the project that reads x86-64 machine
// code (the stack analysis of the image check, the data-layout detector):
// 64-bit long mode, Intel syntax for messages.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <span>
#include <string>

namespace vdsoforge {

struct DecodedInstruction {
  uint64_t address = 0;  // where the instruction lies (image offset or run-time address)
  ZydisDecodedInstruction instruction{};
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT]{};
};

class X86Decoder {
 public:
  X86Decoder();
  // False if Zydis failed to initialise; nothing decodes then.
  bool ready() const { return ready_; }
  // Decodes the instruction at code[offset], which lies at `address`.  False
  // if the bytes there are not a valid x86-64 instruction.
  bool decode(std::span<const uint8_t> code, size_t offset, uint64_t address,
              DecodedInstruction& out) const;
  // Intel syntax, e.g. "mov rax, [rip-0x44b1]".
  std::string format(const DecodedInstruction& decoded) const;
  // The address a RIP-relative memory operand refers to; false for any other
  // operand.
  static bool rip_relative_target(const DecodedInstruction& decoded, const ZydisDecodedOperand& op,
                                  uint64_t& target);

 private:
  ZydisDecoder decoder_{};
  ZydisFormatter formatter_{};
  bool ready_ = false;
};

}  // namespace vdsoforge
