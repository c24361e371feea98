// Calls a function between two looks at the vector registers, in assembly,
// so no compiled code runs between the callee's return and the look.
//
// Before the call every register of the probe's width (zmm0-31, ymm0-15 or
// xmm0-15) holds the caller's canary bytes; after it the probe stores them
// all, and XINUSE (xgetbv with ecx = 1: which register components are not in
// their initial state, i.e. whether the callee left dirty upper halves).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace register_probe {

enum class Width { xmm, ymm, zmm };

inline constexpr int kRegisters = 32;
inline constexpr int kRegisterBytes = 64;
using Registers = std::array<std::array<uint8_t, kRegisterBytes>, kRegisters>;

inline constexpr uint64_t kCleanUpper = 1;  // vzeroupper after loading the canaries
inline constexpr uint64_t kReadXinuse = 2;  // the CPU has xgetbv ecx=1

struct Call {
  const void* fn;  // called with args[0..4] in rdi, rsi, rdx, rcx, r8
  uint64_t args[5];
  const Registers* canary;
  Registers* dump;
  uint64_t flags;
  uint64_t xinuse;  // out (0 without kReadXinuse)
  long ret;         // out: rax
};

Width widest();                   // the widest registers this CPU and kernel have
bool has_xinuse();                // CPUID.(EAX=0DH,ECX=1):EAX[2]
int register_count(Width width);  // 32 for zmm, else 16
int register_bytes(Width width);  // 64, 32, 16

void call(Width width, Call& call);

}  // namespace register_probe
