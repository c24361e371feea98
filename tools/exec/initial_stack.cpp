#include "initial_stack.h"

#include <elf.h>

namespace vdsoforge::exec {

namespace {
// Far beyond anything execve accepts (its argument and environment strings
// are limited to a quarter of the stack limit), so a damaged stack cannot
// make the walk run away.
constexpr uint64_t kMaxPointers = 1u << 22;
constexpr size_t kMaxAuxvEntries = 512;
}  // namespace

std::optional<AuxvOnStack> read_auxv(TraceeMemory& memory, uintptr_t stack_pointer,
                                     std::string& error) {
  uint64_t argc = 0;
  if (!memory.read_word(stack_pointer, argc)) {
    error = memory.error();
    return std::nullopt;
  }
  if (argc > kMaxPointers) {
    error = "initial stack: argc " + std::to_string(argc) + " is not plausible";
    return std::nullopt;
  }
  // argv[argc] is the NULL that ends argv; envp follows up to its own NULL.
  uintptr_t cursor = stack_pointer + 8 * (1 + argc + 1);
  for (uint64_t n = 0;; ++n) {
    uint64_t pointer = 0;
    if (n > kMaxPointers || !memory.read_word(cursor, pointer)) {
      error = "initial stack: no end of the environment: " + memory.error();
      return std::nullopt;
    }
    cursor += 8;
    if (pointer == 0) break;
  }
  AuxvOnStack auxv{cursor, {}};
  for (;;) {
    uint64_t pair[2];
    if (auxv.entries.size() >= kMaxAuxvEntries ||
        !memory.read(cursor, {reinterpret_cast<uint8_t*>(pair), sizeof pair})) {
      error = "initial stack: no AT_NULL ending the auxiliary vector";
      return std::nullopt;
    }
    auxv.entries.emplace_back(pair[0], pair[1]);
    cursor += sizeof pair;
    if (pair[0] == AT_NULL) break;
  }
  return auxv;
}

bool set_auxv_value(TraceeMemory& memory, const AuxvOnStack& auxv, uint64_t type, uint64_t value,
                    std::string& error) {
  for (size_t i = 0; i < auxv.entries.size(); ++i) {
    if (auxv.entries[i].first != type) continue;
    if (memory.write_word(auxv.address + 16 * i + 8, value)) return true;
    error = memory.error();
    return false;
  }
  error = "the auxiliary vector has no entry of type " + std::to_string(type);
  return false;
}

}  // namespace vdsoforge::exec
