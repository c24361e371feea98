// The auxiliary vector on a freshly exec'd process's initial stack.
//
// At the first stop after execve, rsp points at argc, followed by argv[],
// NULL, envp[], NULL and the (type, value) pairs of the auxiliary vector up
// to AT_NULL.  C libraries and the Go runtime read this copy (not the
// kernel's saved copy behind /proc/PID/auxv), so rewriting an entry here
// changes what the program sees from its first instruction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tracee_memory.h"

namespace vdsoforge::exec {

struct AuxvOnStack {
  uintptr_t address;                                   // of the first (type, value) pair
  std::vector<std::pair<uint64_t, uint64_t>> entries;  // up to and including AT_NULL
};

// nullopt with error set if the stack does not hold a well-formed vector.
std::optional<AuxvOnStack> read_auxv(TraceeMemory& memory, uintptr_t stack_pointer,
                                     std::string& error);

// Rewrites the value of the first entry of `type`; false if there is none.
bool set_auxv_value(TraceeMemory& memory, const AuxvOnStack& auxv, uint64_t type, uint64_t value,
                    std::string& error);

}  // namespace vdsoforge::exec
