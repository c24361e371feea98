// Reading and writing a stopped tracee's memory through /proc/PID/mem.
//
// /proc/PID/mem (unlike PTRACE_PEEKDATA, whose -1 result is ambiguous) reports
// errors plainly and moves any number of bytes per call, and (like
// PTRACE_POKETEXT) may write to read-only text, as a debugger's breakpoints
// need.  The file is bound to the address space it was opened on, so it must
// be reopened after every exec.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>

namespace vdsoforge::exec {

class TraceeMemory {
 public:
  // Opens /proc/PID/mem; on failure valid() is false and error() says why.
  explicit TraceeMemory(pid_t pid);
  ~TraceeMemory();
  TraceeMemory(const TraceeMemory&) = delete;
  TraceeMemory& operator=(const TraceeMemory&) = delete;

  bool valid() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // All or nothing; false with error() set otherwise.
  bool read(uintptr_t address, std::span<uint8_t> out);
  bool write(uintptr_t address, std::span<const uint8_t> bytes);
  bool read_word(uintptr_t address, uint64_t& value);
  bool write_word(uintptr_t address, uint64_t value);

 private:
  pid_t pid_;
  int fd_ = -1;
  std::string error_;
};

}  // namespace vdsoforge::exec
