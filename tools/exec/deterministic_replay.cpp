#include "deterministic_replay.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/uio.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>

#include "initial_stack.h"

namespace vdsoforge::exec {

namespace {

constexpr unsigned kValidFlags = GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE;
// include/linux/fs.h: INT_MAX & PAGE_MASK, what one read or write may move.
constexpr uint64_t kMaxRwCount = 0x7ffff000;
constexpr uint64_t kAtRandom = 25;  // AT_RANDOM: 16 bytes on the initial stack
constexpr size_t kAtRandomSize = 16;
constexpr size_t kChunk = 64 * 1024;  // keystream generated and written per step
// Events kept for the report; a program that lives on the system call (the
// image not ready, say) would otherwise grow it without bound.
constexpr size_t kMaxLoggedEvents = 100'000;

// TASK_SIZE_MAX of x86-64: the kernel's access_ok() refuses a buffer whose
// end lies above it.  4-level paging unless the CPU offers 5-level.
uint64_t user_address_limit() {
  static const uint64_t limit = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
      if (line.starts_with("flags"))
        return line.find(" la57") != std::string::npos ? (uint64_t{1} << 56) - 4096
                                                       : (uint64_t{1} << 47) - 4096;
    return (uint64_t{1} << 47) - 4096;
  }();
  return limit;
}

// Whether the caller still waits in this very call: a thread id in a
// notification names that thread only while it does (SECCOMP_IOCTL_NOTIF_ID_VALID).
bool still_waiting(int listener, uint64_t id) {
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void send(int listener, uint64_t id, int64_t result, bool let_kernel_run) {
  seccomp_notif_resp response{};
  response.id = id;
  if (let_kernel_run) {
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else if (result < 0) {
    response.error = static_cast<int32_t>(result);
  } else {
    response.val = result;
  }
  // ENOENT: the caller died (or was interrupted by a fatal signal) meanwhile.
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

}  // namespace

DeterministicReplay::DeterministicReplay(ReplaySchedule schedule)
    : schedule_(std::move(schedule)), stream_(schedule_.seed) {}

void DeterministicReplay::log(const ReplayEvent& event) {
  if (events_.size() < kMaxLoggedEvents)
    events_.push_back(event);
  else
    ++events_not_logged_;
}

int64_t DeterministicReplay::write_draw(pid_t tid, uint64_t address, uint64_t length, uint64_t draw,
                                        bool& passed_to_kernel) {
  std::vector<uint8_t> chunk(static_cast<size_t>(std::min<uint64_t>(length, kChunk)));
  uint64_t written = 0;
  while (written < length) {
    const size_t size = static_cast<size_t>(std::min<uint64_t>(length - written, kChunk));
    stream_.fill(draw, written, std::span(chunk.data(), size));
    const iovec local = {chunk.data(), size};
    const iovec remote = {reinterpret_cast<void*>(address + written), size};
    const ssize_t moved = process_vm_writev(tid, &local, 1, &remote, 1, 0);
    if (moved < 0) {
      if (errno == EFAULT) break;  // unwritable from here on: as copy_to_user stops
      // EPERM: a process this one may not write (privileged, not dumpable);
      // ESRCH: gone.  Nothing was given yet, so the kernel may answer instead.
      if (written == 0) passed_to_kernel = true;
      break;
    }
    written += static_cast<uint64_t>(moved);
    if (static_cast<size_t>(moved) != size) break;  // a fault part-way
  }
  std::fill(chunk.begin(), chunk.end(), 0);
  return written > 0 ? static_cast<int64_t>(written) : -EFAULT;
}

void DeterministicReplay::answer_getrandom(int listener, const seccomp_notif& request, pid_t pid,
                                           std::string& note) {
  // getrandom(char *buf, size_t len, unsigned int flags): the kernel reads
  // flags as a 32-bit value, so the argument's upper half is ignored.
  const uint64_t address = request.data.args[0];
  const uint64_t asked = request.data.args[1];
  const unsigned flags = static_cast<unsigned>(request.data.args[2]);
  ReplayEvent event{
      .pid = pid, .tid = static_cast<pid_t>(request.pid), .length = asked, .flags = flags};
  const uint64_t length = std::min(asked, kMaxRwCount);
  const uint64_t end = address + length;
  if ((flags & ~kValidFlags) != 0 ||
      (flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM)) {
    event.result = -EINVAL;
  } else if (end < address || end > user_address_limit()) {
    event.result = -EFAULT;
  } else if (length == 0) {
    event.result = 0;
  } else {
    // Checked before writing: until the caller leaves the call, its thread
    // id cannot name another thread.
    if (!still_waiting(listener, request.id)) return;
    event.draw = next_draw_++;
    event.result = write_draw(event.tid, address, length, *event.draw, event.passed_to_kernel);
  }
  if (event.passed_to_kernel) {
    note =
        "getrandom calls of a process exec may not write to are answered by the kernel, "
        "not from the seed (first: process " +
        std::to_string(pid) + ")";
    if (still_waiting(listener, request.id)) send(listener, request.id, 0, true);
    log(event);
    return;
  }
  if (event.result > 0 && schedule_.bump_every != 0 && ++answered_ % schedule_.bump_every == 0 &&
      schedule_.bump_generation) {
    // Before the answer: the caller's state then holds the old generation.
    event.bumped_to = schedule_.bump_generation();
    ++bumps_;
  }
  // Checked again: a caller killed meanwhile is not answered (its draw and
  // any bump stand, as they would had it died a moment later).
  if (still_waiting(listener, request.id)) send(listener, request.id, event.result, false);
  log(event);
}

bool DeterministicReplay::seed_at_random(TraceeMemory& memory, uintptr_t stack_pointer, pid_t pid,
                                         std::string& error) {
  const auto auxv = read_auxv(memory, stack_pointer, error);
  if (!auxv) return false;
  const auto entry = std::find_if(auxv->entries.begin(), auxv->entries.end(),
                                  [](const auto& e) { return e.first == kAtRandom; });
  if (entry == auxv->entries.end() || entry->second == 0) {
    error = "the auxiliary vector has no AT_RANDOM";
    return false;
  }
  ReplayEvent event{.draw = next_draw_++,
                    .at_random = true,
                    .pid = pid,
                    .tid = pid,
                    .length = kAtRandomSize,
                    .result = kAtRandomSize};
  uint8_t bytes[kAtRandomSize];
  stream_.fill(*event.draw, 0, bytes);
  if (!memory.write(entry->second, bytes)) {
    error = "writing AT_RANDOM: " + memory.error();
    return false;
  }
  log(event);
  return true;
}

}  // namespace vdsoforge::exec
