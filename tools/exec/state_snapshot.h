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
//
// save_to()/restore_from() do the same across two runs: the states go to a
// file (state_snapshot_file.h) and into another process tree, matched by
// process order (creation order), mapping order (address order) and size, not
// by address, so a second run of the same program, placed elsewhere by ASLR,
// continues from the first one's states while that one runs on: a clone.
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
    bool refused = false;  // nothing was done: `errors` says why
    uint64_t bytes = 0;
    std::vector<std::string> errors;
    std::string describe(const char* verb) const;
  };

  // Replaces the snapshot with the droppable pages of every process below `root`.
  Counts take(pid_t root);
  // Writes the snapshot back into the processes it came from (those still alive).
  Counts restore();
  // Saves the droppable pages of every process below `root` to `path`, with
  // `generation` (the data page's, now).
  Counts save_to(pid_t root, const std::string& path, uint64_t generation);
  // Writes the states saved in `path` into the processes below `root`.
  // Refused (an error, nothing written) when the file is not a snapshot or
  // its shape differs from the tree's.  `generation_note` says whether the
  // generation moved since the snapshot (then the restored states refetch).
  Counts restore_from(pid_t root, const std::string& path, uint64_t generation,
                      std::string& generation_note);

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
