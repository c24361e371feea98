// `vdsoforge exec --deterministic SEED`: every x86-64 getrandom(2) system
// call in the tree is answered by the supervisor from the seeded stream
// (deterministic_stream.h) instead of the kernel, and every exec'd program's
// AT_RANDOM bytes are overwritten from it too.
//
// The consumers' fast path stays: the image's vgetrandom makes a system
// call only to fetch a state's key (at the first call on a state, and after
// each generation change); those calls, the consumers' own direct calls and
// their fallbacks all come here through the exec filter's user notification.
// With no other entropy in their states, a program that draws in the same
// order prints the same bytes in every run with the same seed.  The
// generation moves only on the schedule given here (a bump after every N-th
// answered call, counted before the answer goes out), never with time.
//
// The answer mirrors the kernel's getrandom (drivers/char/random.c, Linux
// 6.12): flags outside GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE, or
// GRND_INSECURE with GRND_RANDOM, fail with EINVAL; the RNG counts as ready,
// so GRND_NONBLOCK never gives EAGAIN; the length is capped at MAX_RW_COUNT
// (0x7ffff000); a buffer whose end lies beyond user space (or wraps) fails
// with EFAULT before anything is written; a buffer that becomes unwritable
// part-way gives the bytes written so far, EFAULT if none; length 0 gives 0.
// Unlike the kernel, a pending signal does not cut a long call short.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deterministic_stream.h"
#include "tracee_memory.h"

namespace vdsoforge::exec {

struct ReplaySchedule {
  uint64_t seed = 0;
  // Bump the generation after every bump_every-th answered getrandom call
  // (0: never).  The bump lands before that call returns, so the state it
  // keyed is stale at its next use: a deterministic reseed storm.
  uint64_t bump_every = 0;
  std::function<uint64_t()> bump_generation;  // returns the new generation
};

// One answered getrandom call or one AT_RANDOM overwrite, for the report.
struct ReplayEvent {
  std::optional<uint64_t> draw;  // the stream's draw number; none if no bytes were drawn
  bool at_random = false;        // false: a getrandom system call
  pid_t pid = 0;
  pid_t tid = 0;
  uint64_t length = 0;  // as asked (16 for AT_RANDOM)
  unsigned flags = 0;
  int64_t result = 0;  // what the call returned: a byte count or -errno
  // Answered by the kernel instead (the memory could not be written: a
  // privileged or non-dumpable process); the bytes are the kernel's.
  bool passed_to_kernel = false;
  uint64_t bumped_to = 0;  // the generation set by a scheduled bump (0: none)
};

class DeterministicReplay {
 public:
  explicit DeterministicReplay(ReplaySchedule schedule);

  // Answers the getrandom notification `request` of thread request.id's
  // caller in process `pid` on `listener`.  `note` is set (to say once) when
  // the call had to be left to the kernel.
  void answer_getrandom(int listener, const seccomp_notif& request, pid_t pid, std::string& note);

  // Overwrites the 16 bytes AT_RANDOM points at on a just-exec'd process's
  // initial stack.  False with error set if the vector has no AT_RANDOM
  // or the bytes cannot be written.
  bool seed_at_random(TraceeMemory& memory, uintptr_t stack_pointer, pid_t pid, std::string& error);

  const ReplaySchedule& schedule() const { return schedule_; }
  const std::vector<ReplayEvent>& events() const { return events_; }
  uint64_t draws() const { return next_draw_; }
  uint64_t bumps() const { return bumps_; }
  uint64_t events_not_logged() const { return events_not_logged_; }

 private:
  int64_t write_draw(pid_t tid, uint64_t address, uint64_t length, uint64_t draw,
                     bool& passed_to_kernel);
  void log(const ReplayEvent& event);

  ReplaySchedule schedule_;
  DeterministicStream stream_;
  uint64_t next_draw_ = 0;
  uint64_t answered_ = 0;  // getrandom calls answered here (the schedule's clock)
  uint64_t bumps_ = 0;
  uint64_t events_not_logged_ = 0;
  std::vector<ReplayEvent> events_;
};

}  // namespace vdsoforge::exec
