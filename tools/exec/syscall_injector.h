// Making a stopped tracee run system calls of our choosing, then putting it
// back exactly as it was.
//
// The tracee must be in a stop where its registers stick: a syscall-exit-stop
// or a signal-delivery-stop, not the PTRACE_EVENT_EXEC stop itself (there the
// kernel still has execve's return value to write and would overwrite rax).
// begin() saves the registers and places a `syscall` instruction over the two
// bytes at the tracee's rip; each call() points rip at it, loads the number
// and arguments, sets orig_rax to -1 (not inside a system call, so a
// restart-style result can never make the kernel rewind rip) and single-steps
// over it; finish() puts the bytes and registers back.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tracee_memory.h"

namespace vdsoforge::exec {

class SyscallInjector {
 public:
  // nullptr with error set if the registers or memory cannot be reached.
  static std::unique_ptr<SyscallInjector> begin(pid_t pid, std::string& error);
  ~SyscallInjector() = default;

  // The raw result (-errno on failure), or false if the tracee could not be
  // made to run the call (it died, or ptrace failed): error says which.
  bool call(long number, std::array<uint64_t, 6> args, long& result, std::string& error);
  // Restores the overwritten bytes and the saved registers.
  bool finish(std::string& error);

  TraceeMemory& memory() { return memory_; }
  const user_regs_struct& saved_registers() const { return saved_; }
  // Signals that arrived while the tracee was stepped; the caller delivers
  // them when it resumes the tracee.
  const std::vector<int>& deferred_signals() const { return deferred_signals_; }

 private:
  SyscallInjector(pid_t pid, const user_regs_struct& saved, uint64_t saved_word);

  pid_t pid_;
  user_regs_struct saved_;
  uint64_t saved_word_;  // the 8 bytes at saved_.rip before the syscall instruction
  TraceeMemory memory_;
  std::vector<int> deferred_signals_;
};

}  // namespace vdsoforge::exec
