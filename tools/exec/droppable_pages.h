// Dropping a process tree's MAP_DROPPABLE pages the way the kernel drops
// them under memory pressure.
//
// A vgetrandom consumer keeps its states in memory mapped with the flags the
// vDSO's parameter query names (MAP_DROPPABLE|MAP_ANONYMOUS): the kernel may
// reclaim such a page at any moment without writing it anywhere, and the
// next access reads a fresh zero page.  The consumer must notice (a zero
// state's generation never equals the data page's, which is never 0) and
// fetch a new key instead of serving bytes from a zero key.
//
// This asks the kernel's own reclaim to do it: process_madvise(MADV_PAGEOUT)
// on every mapping whose /proc/PID/smaps VmFlags carry `dp`.  Reclaim
// discards a droppable page (it is never swap-backed) by clearing its page
// table entry, so a thread running meanwhile sees either the old page or a
// zero page, never half of each, exactly as under memory pressure.  Writing
// zeros through /proc/PID/mem or process_vm_writev would instead race with
// a thread using the state and could leave it half wiped, which the kernel
// never does.  Remote MADV_PAGEOUT needs CAP_SYS_NICE over the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdsoforge::exec {

struct DroppedPages {
  unsigned processes = 0;           // processes of the tree with droppable mappings
  unsigned mappings = 0;            // droppable mappings found
  uint64_t resident_before = 0;     // their resident bytes before (smaps Rss)
  uint64_t resident_after = 0;      // and after
  std::vector<std::string> errors;  // per process, e.g. "process 12: Operation not permitted"

  std::string describe() const;
};

struct DroppableMapping {
  uintptr_t start = 0, end = 0;
  uint64_t resident = 0;  // smaps Rss, bytes
};

// The droppable mappings of `pid`: smaps entries whose VmFlags include "dp".
std::vector<DroppableMapping> droppable_mappings_of(pid_t pid);

// Drops the droppable pages of every process below `root`.
DroppedPages drop_droppable_pages(pid_t root);

}  // namespace vdsoforge::exec
