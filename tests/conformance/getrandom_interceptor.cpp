#include "getrandom_interceptor.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <vector>

namespace conformance {
namespace {

constexpr uint32_t kGetrandomNr = 318;
constexpr uint32_t kArgLenLow = offsetof(seccomp_data, args) + 8;  // args[1], low half
constexpr uint32_t kArgLenHigh = kArgLenLow + 4;

sock_filter statement(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter jump_if_equal(uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, if_true, if_false);
}

// Builds: getrandom (optionally of one length) on x86-64 -> `action`,
// everything else -> allow.
std::vector<sock_filter> getrandom_filter(uint32_t action, std::optional<size_t> only_len) {
  std::vector<sock_filter> prog;
  prog.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  prog.push_back(jump_if_equal(AUDIT_ARCH_X86_64, 0, 0));  // false target patched below
  prog.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  prog.push_back(jump_if_equal(kGetrandomNr, 0, 0));
  if (only_len) {
    prog.push_back(statement(BPF_LD | BPF_W | BPF_ABS, kArgLenLow));
    prog.push_back(jump_if_equal(static_cast<uint32_t>(*only_len), 0, 0));
    prog.push_back(statement(BPF_LD | BPF_W | BPF_ABS, kArgLenHigh));
    prog.push_back(jump_if_equal(static_cast<uint32_t>(uint64_t{*only_len} >> 32), 0, 0));
  }
  const size_t action_index = prog.size();
  prog.push_back(statement(BPF_RET | BPF_K, action));
  const size_t allow_index = prog.size();
  prog.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  // Every comparison falls through on a match and jumps to "allow" otherwise.
  for (size_t i = 0; i < action_index; ++i) {
    if (BPF_CLASS(prog[i].code) == BPF_JMP) prog[i].jf = static_cast<uint8_t>(allow_index - i - 1);
  }
  return prog;
}

std::string install(uint32_t action, std::optional<size_t> only_len) {
  std::vector<sock_filter> prog = getrandom_filter(action, only_len);
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + std::strerror(errno);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    return std::string("seccomp(SECCOMP_SET_MODE_FILTER): ") + std::strerror(errno);
  return {};
}

TrapScript g_script;
std::atomic<size_t> g_calls{0};
TrappedCall g_log[kTrapLogSize];

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Plays getrandom(2): arguments in rdi/rsi/rdx, the result goes to rax.
void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_syscall != static_cast<int>(kGetrandomNr)) return;
  auto* regs = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  auto* buffer = reinterpret_cast<void*>(regs[REG_RDI]);
  const auto len = static_cast<uint64_t>(regs[REG_RSI]);
  const auto flags = static_cast<unsigned>(regs[REG_RDX]);
  const size_t index = g_calls.fetch_add(1);
  if (index < kTrapLogSize) g_log[index] = {len, flags};
  if (g_script.fail_len >= 0 && len == static_cast<uint64_t>(g_script.fail_len)) {
    regs[REG_RAX] = -g_script.fail_errno;
    return;
  }
  if (len > kTrapMaxFill) {
    regs[REG_RAX] = -EFAULT;
    return;
  }
  scripted_bytes(g_script.seed, index, buffer, len);
  regs[REG_RAX] = static_cast<greg_t>(len);
}

}  // namespace

std::string install_getrandom_errno_filter(int marker, std::optional<size_t> only_len) {
  return install(SECCOMP_RET_ERRNO | (static_cast<uint32_t>(marker) & SECCOMP_RET_DATA), only_len);
}

std::string install_getrandom_trap(const TrapScript& script) {
  g_script = script;
  g_calls = 0;
  // The handler plays the kernel, which writes the key straight into the
  // state: run it on a stack of its own so its frame (and the signal frame
  // with the registers) never lands on the stack of the code under test.
  static std::vector<unsigned char> handler_stack(256 * 1024);
  stack_t alt{};
  alt.ss_sp = handler_stack.data();
  alt.ss_size = handler_stack.size();
  if (sigaltstack(&alt, nullptr) != 0) return std::string("sigaltstack: ") + std::strerror(errno);
  struct sigaction action {};
  action.sa_sigaction = on_sigsys;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0)
    return std::string("sigaction(SIGSYS): ") + std::strerror(errno);
  return install(SECCOMP_RET_TRAP, std::nullopt);
}

void rewind_trap(const TrapScript& script) {
  g_script = script;
  g_calls = 0;
}

size_t trapped_call_count() { return g_calls.load(); }
TrappedCall trapped_call(size_t index) {
  return index < kTrapLogSize ? g_log[index] : TrappedCall{};
}

void scripted_bytes(uint64_t seed, uint64_t call_index, void* buffer, size_t len) {
  uint64_t x = seed ^ (call_index * 0xd1b54a32d192ed03ULL);
  auto* out = static_cast<unsigned char*>(buffer);
  for (size_t i = 0; i < len; i += 8) {
    const uint64_t word = splitmix64(x);
    for (size_t j = 0; j < 8 && i + j < len; ++j)
      out[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
}

}  // namespace conformance
