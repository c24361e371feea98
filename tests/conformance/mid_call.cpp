#include "mid_call.h"

#include <signal.h>
#include <sys/mman.h>

#include <cstring>

namespace conformance {
namespace {

// What the signal handler needs: it can take no arguments of ours.
struct Armed {
  uint8_t* pages = nullptr;
  vdsoforge::DataPage* page = nullptr;
  uint64_t new_generation = 0;
  int faults = 0;
};
Armed g_armed;

void on_segv(int, siginfo_t* info, void*) {
  auto* addr = static_cast<uint8_t*>(info->si_addr);
  if (g_armed.faults == 0 && addr >= g_armed.pages + 4096 && addr < g_armed.pages + 8192) {
    g_armed.page->set_generation(g_armed.new_generation);
    mprotect(g_armed.pages + 4096, 4096, PROT_READ | PROT_WRITE);
    ++g_armed.faults;
    return;
  }
  // Any other fault is a real crash: let it happen.
  signal(SIGSEGV, SIG_DFL);
}

}  // namespace

MidCallOutcome mid_call(vdsoforge::GetrandomFn fn, vdsoforge::DataPage& page,
                        const StateBytes& start, uint64_t generation, uint64_t new_generation,
                        const TrapScript& script) {
  constexpr size_t kLen = 300, kOffset = 4096 - 96;
  auto* pages = static_cast<uint8_t*>(
      mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  StateSlot slot;
  std::memcpy(slot.bytes, start.data(), kStateBytes);
  g_armed = {pages, &page, new_generation, 0};
  page.set_generation(generation);
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &action, nullptr);
  mprotect(pages + 4096, 4096, PROT_NONE);
  rewind_trap(script);
  MidCallOutcome o;
  o.ret = fn(pages + kOffset, kLen, 0, slot.bytes, kStateBytes);
  o.syscalls = trapped_call_count();
  mprotect(pages, 8192, PROT_READ | PROT_WRITE);
  o.output.assign(pages + kOffset, pages + kOffset + kLen);
  std::memcpy(o.state.data(), slot.bytes, kStateBytes);
  o.faults = g_armed.faults;
  signal(SIGSEGV, SIG_DFL);
  munmap(pages, 8192);
  return o;
}

}  // namespace conformance
