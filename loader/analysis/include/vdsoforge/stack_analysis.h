// Proof that a machine-code routine never touches the stack, by disassembly.
//
// The ChaCha20 block routine handles the key and keystream; if it pushed,
// spilled or called, secrets would land on the stack where later code or a
// core dump could see them.  This decodes every instruction (Zydis) and
// reports each one that could put data on the stack.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vdsoforge {

struct StackUse {
  uint64_t address;         // of the instruction
  std::string instruction;  // Intel syntax
  std::string reason;       // which rule it breaks
};

struct StackAnalysis {
  size_t instructions = 0;
  std::vector<StackUse> uses;  // empty: the routine is stackless
};

// Decodes `code`, loaded at `address`, as 64-bit x86 and flags: push, pop,
// call, enter, leave (and their variants); any memory operand whose base or
// index is rsp/rbp (or a narrower alias); any instruction that writes rsp or
// reads it explicitly (a copy of rsp would address the stack indirectly).
// The final `ret` is allowed: it only consumes the caller's return address.
// Bytes that do not decode are reported too, since they cannot be proven safe.
StackAnalysis analyze_stack_use(std::span<const uint8_t> code, uint64_t address);

}  // namespace vdsoforge
