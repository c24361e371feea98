// Zydis-based stack-use analysis (see stack_analysis.h).
#include "vdsoforge/stack_analysis.h"

#include <cstdio>

#include "x86_decoder.h"

namespace vdsoforge {

namespace {

bool is_stack_register(ZydisRegister reg) {
  const ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
  return full == ZYDIS_REGISTER_RSP || full == ZYDIS_REGISTER_RBP;
}

// Instructions whose purpose is moving data to or from the stack.
const char* stack_mnemonic_reason(ZydisMnemonic mnemonic) {
  switch (mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ:
    case ZYDIS_MNEMONIC_PUSHA:
    case ZYDIS_MNEMONIC_PUSHAD:
      return "pushes onto the stack";
    case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ:
    case ZYDIS_MNEMONIC_POPA:
    case ZYDIS_MNEMONIC_POPAD:
      return "pops from the stack";
    case ZYDIS_MNEMONIC_CALL:
      return "calls (pushes a return address, runs other code)";
    case ZYDIS_MNEMONIC_ENTER:
      return "builds a stack frame (enter)";
    case ZYDIS_MNEMONIC_LEAVE:
      return "tears down a stack frame (leave)";
    default:
      return nullptr;
  }
}

// The first rule `instruction` breaks, or empty.
std::string stack_rule_broken(const ZydisDecodedInstruction& instruction,
                              const ZydisDecodedOperand* operands) {
  if (const char* reason = stack_mnemonic_reason(instruction.mnemonic)) return reason;
  // ret's own hidden [rsp] read and rsp update are the return itself.
  if (instruction.mnemonic == ZYDIS_MNEMONIC_RET) return {};
  for (uint8_t i = 0; i < instruction.operand_count; ++i) {
    const ZydisDecodedOperand& op = operands[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY &&
        (is_stack_register(op.mem.base) || is_stack_register(op.mem.index))) {
      return "addresses memory through rsp/rbp";
    }
    const bool is_rsp = op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
                        ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64,
                                                         op.reg.value) == ZYDIS_REGISTER_RSP;
    if (is_rsp && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) return "writes rsp";
    // A copy of rsp in another register would let the stack be addressed
    // indirectly, past the memory-operand rule.  (rbp is not treated so: in
    // optimised leaf code it is an ordinary register.)
    if (is_rsp && op.visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT) return "copies rsp";
  }
  return {};
}

}  // namespace

StackAnalysis analyze_stack_use(std::span<const uint8_t> code, uint64_t address) {
  StackAnalysis result;
  const X86Decoder decoder;
  if (!decoder.ready()) {
    result.uses.push_back({address, "", "the Zydis disassembler failed to initialise"});
    return result;
  }
  size_t offset = 0;
  while (offset < code.size()) {
    const uint64_t at = address + offset;
    DecodedInstruction decoded;
    if (!decoder.decode(code, offset, at, decoded)) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", code[offset]);
      result.uses.push_back(
          {at, std::string("(byte ") + byte + ")", "does not decode as an x86-64 instruction"});
      return result;
    }
    ++result.instructions;
    std::string reason = stack_rule_broken(decoded.instruction, decoded.operands);
    if (!reason.empty()) result.uses.push_back({at, decoder.format(decoded), std::move(reason)});
    offset += decoded.instruction.length;
  }
  return result;
}

}  // namespace vdsoforge
