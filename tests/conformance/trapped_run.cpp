#include "trapped_run.h"

#include <sys/mman.h>

#include <sstream>
#include <stdexcept>

namespace conformance {

TrappedOutcome run_trapped(const GetrandomImpl& impl, const StateBytes& start, size_t len,
                           unsigned flags, const TrapScript& script, Placement placement) {
  // Two pages so a state may be placed across the boundary between them.
  void* pages = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::runtime_error("mmap for a state failed");
  auto* location = static_cast<uint8_t*>(pages) + placement.page_offset;
  TrappedOutcome outcome;
  rewind_trap(script);
  outcome.call = run_call_placed(impl, start, len, flags, placement.opaque_len, location);
  outcome.syscalls = trapped_call_count();
  for (size_t i = 0; i < outcome.log.size(); ++i) outcome.log[i] = trapped_call(i);
  munmap(pages, 8192);
  return outcome;
}

std::string compare_trapped(const TrappedOutcome& expected, const TrappedOutcome& actual) {
  if (std::string why = compare_outcomes(expected.call, actual.call); !why.empty()) return why;
  std::ostringstream why;
  if (expected.syscalls != actual.syscalls) {
    why << actual.syscalls << " getrandom syscalls, expected " << expected.syscalls;
    return why.str();
  }
  for (size_t i = 0; i < std::min(expected.syscalls, expected.log.size()); ++i) {
    if (expected.log[i].len != actual.log[i].len || expected.log[i].flags != actual.log[i].flags) {
      why << "syscall " << i << " was getrandom(len " << actual.log[i].len << ", flags "
          << actual.log[i].flags << "), expected (len " << expected.log[i].len << ", flags "
          << expected.log[i].flags << ")";
      return why.str();
    }
  }
  return {};
}

}  // namespace conformance
