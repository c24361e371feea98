// A snapshot of a process tree's vgetrandom states (its MAP_DROPPABLE
// pages), written back later: the tree then continues from exactly the
// states it had, as a virtual machine restored from a snapshot, or a
// process tree restored by CRIU, does.  Without a generation change the
// consumer serves the same bytes again; with one (what a hypervisor's VM
// generation ID makes the kernel do on a clone) every state refetches its key.
//
// Unlike a virtual machine's, this snapshot does not freeze the program: the
// pages are read and written while it runs (process_vm_readv/_writev), so
// take and restore it when no thread is inside a getrandom call (between a
// probe's steps), or a thread mid-call may finish on a mixed state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vdsoforge::exec {

class StateSnapshot {
 public:
  struct Counts {
    unsigned processes = 0, mappings = 0;
    uint64_t bytes = 0;
    std::vector<std::string> errors;
    std::string describe(const char* verb) const;
  };

  // Replaces the snapshot with the droppable pages of every process below `root`.
  Counts take(pid_t root);
  // Writes the snapshot back into the processes it came from (those still alive).
  Counts restore();

 private:
  struct Region {
    pid_t pid;
    uintptr_t start;
    std::vector<uint8_t> bytes;
  };
  std::mutex mutex_;
  std::vector<Region> regions_;
};

}  // namespace vdsoforge::exec
