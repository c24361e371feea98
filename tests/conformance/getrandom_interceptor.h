// Taking over the getrandom(2) system call in a (child) process with seccomp.
//
// Two ways, both for the x86-64 syscall 318 only:
//   errno marker - the filter answers getrandom with -marker without entering
//                  the kernel, so a return value of -marker proves that a
//                  syscall was made (and which one, with `only_len`).
//   trap         - the filter raises SIGSYS and a handler plays the kernel:
//                  it writes scripted bytes (scripted_bytes() below, so a test
//                  can predict them), or fails calls of a chosen length, and
//                  records every call.  This lets the suite hand the kernel's
//                  own vDSO a key the test knows.
// Filters are permanent, so install them only in a forked child.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace conformance {

// Makes getrandom return -marker; with only_len, only calls whose length
// argument equals it.  Returns an error text, empty on success.
std::string install_getrandom_errno_filter(int marker, std::optional<size_t> only_len = {});

struct TrappedCall {
  uint64_t len;
  unsigned flags;
};

struct TrapScript {
  uint64_t seed = 0;   // what scripted_bytes() derives the bytes from
  long fail_len = -1;  // calls of this length return -fail_errno
  int fail_errno = 5;  // EIO
};
// Calls longer than this are answered -EFAULT without writing: the suite
// uses huge lengths only to see what length reaches the syscall.
inline constexpr uint64_t kTrapMaxFill = uint64_t{1} << 24;

// Routes getrandom to the SIGSYS handler that follows `script`.  The handler
// runs on an alternate signal stack of the installing thread.  Returns an
// error text, empty on success.
std::string install_getrandom_trap(const TrapScript& script);

// Starts the script over (new seed/failure rule, call count 0) once the trap
// is installed, so several implementations can be given the same syscalls.
void rewind_trap(const TrapScript& script);

// Calls the handler saw so far (all of them, including failed ones) and the
// first few in order.
inline constexpr size_t kTrapLogSize = 64;
size_t trapped_call_count();
TrappedCall trapped_call(size_t index);

// The bytes the trap hands out for its `call_index`-th call (counting every
// trapped call from 0, failed ones too), so a
// model can be given the very same key.
void scripted_bytes(uint64_t seed, uint64_t call_index, void* buffer, size_t len);

}  // namespace conformance
