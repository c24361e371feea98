#include "syscall_injector.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace vdsoforge::exec {

namespace {

constexpr uint64_t kSyscallInstruction = 0x050f;  // 0f 05, little endian
constexpr uint64_t kLowTwoBytes = 0xffff;

std::string ptrace_error(const char* what, pid_t pid) {
  return std::string(what) + " on process " + std::to_string(pid) +
         " failed: " + std::strerror(errno);
}

}  // namespace

SyscallInjector::SyscallInjector(pid_t pid, const user_regs_struct& saved, uint64_t saved_word)
    : pid_(pid), saved_(saved), saved_word_(saved_word), memory_(pid) {}

std::unique_ptr<SyscallInjector> SyscallInjector::begin(pid_t pid, std::string& error) {
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) {
    error = ptrace_error("PTRACE_GETREGS", pid);
    return nullptr;
  }
  std::unique_ptr<SyscallInjector> injector(new SyscallInjector(pid, regs, 0));
  if (!injector->memory_.valid()) {
    error = injector->memory_.error();
    return nullptr;
  }
  uint64_t word = 0;
  if (!injector->memory_.read_word(regs.rip, word)) {
    error = injector->memory_.error();
    return nullptr;
  }
  injector->saved_word_ = word;
  if (!injector->memory_.write_word(regs.rip, (word & ~kLowTwoBytes) | kSyscallInstruction)) {
    error = injector->memory_.error();
    return nullptr;
  }
  return injector;
}

bool SyscallInjector::call(long number, std::array<uint64_t, 6> args, long& result,
                           std::string& error) {
  user_regs_struct regs = saved_;
  regs.rip = saved_.rip;
  regs.rax = static_cast<uint64_t>(number);
  regs.orig_rax = ~0ull;  // -1: not in a system call, nothing to restart
  regs.rdi = args[0];
  regs.rsi = args[1];
  regs.rdx = args[2];
  regs.r10 = args[3];
  regs.r8 = args[4];
  regs.r9 = args[5];
  if (ptrace(PTRACE_SETREGS, pid_, nullptr, &regs) != 0) {
    error = ptrace_error("PTRACE_SETREGS", pid_);
    return false;
  }
  for (;;) {
    if (ptrace(PTRACE_SINGLESTEP, pid_, nullptr, nullptr) != 0) {
      error = ptrace_error("PTRACE_SINGLESTEP", pid_);
      return false;
    }
    int status = 0;
    if (waitpid(pid_, &status, __WALL) != pid_) {
      error = ptrace_error("waitpid", pid_);
      return false;
    }
    if (!WIFSTOPPED(status)) {
      error = "process " + std::to_string(pid_) + " ended while a system call was injected";
      return false;
    }
    if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0) break;
    // A signal arrived before the instruction ran: keep it for later, retry.
    deferred_signals_.push_back(WSTOPSIG(status));
  }
  user_regs_struct after{};
  if (ptrace(PTRACE_GETREGS, pid_, nullptr, &after) != 0) {
    error = ptrace_error("PTRACE_GETREGS", pid_);
    return false;
  }
  if (after.rip != saved_.rip + 2) {
    error = "injected system call " + std::to_string(number) + " in process " +
            std::to_string(pid_) + " did not complete (rip moved to an unexpected address)";
    return false;
  }
  result = static_cast<long>(after.rax);
  return true;
}

bool SyscallInjector::finish(std::string& error) {
  if (!memory_.write_word(saved_.rip, saved_word_)) {
    error = memory_.error();
    return false;
  }
  if (ptrace(PTRACE_SETREGS, pid_, nullptr, &saved_) != 0) {
    error = ptrace_error("PTRACE_SETREGS", pid_);
    return false;
  }
  return true;
}

}  // namespace vdsoforge::exec
