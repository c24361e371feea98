#include "droppable_pages.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "process_tree.h"

namespace vdsoforge::exec {

namespace {

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

uint64_t resident_of(const std::vector<DroppableMapping>& mappings) {
  uint64_t total = 0;
  for (const DroppableMapping& m : mappings) total += m.resident;
  return total;
}

// Asks the kernel to page out each range; false with `error` set when a call
// fails for a reason other than a page it could not take (ENOMEM).
bool page_out(int pidfd, const std::vector<iovec>& ranges, std::string& error) {
  // One call per mapping: a mapping unmapped meanwhile fails alone.
  for (const iovec& range : ranges) {
    if (syscall(SYS_process_madvise, pidfd, &range, 1, MADV_PAGEOUT, 0) < 0 && errno != ENOMEM) {
      error = std::string("process_madvise: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

// A page the program touched moments ago may still wait in the per-CPU batch
// of the CPU it faulted on, not yet on an LRU list; reclaim cannot isolate
// such a page and skips it silently.  MADV_PAGEOUT flushes only the calling
// CPU's batch, so a retry from the same CPU keeps failing however long it
// waits.  Calling once from each CPU this thread may run on flushes every
// batch the program's pages can be in (the program inherits our affinity).
// Returns the bytes still resident; the thread's affinity is restored.
uint64_t page_out_from_each_cpu(pid_t pid, int pidfd, const std::vector<iovec>& ranges,
                                std::string& error) {
  uint64_t resident = resident_of(droppable_mappings_of(pid));
  cpu_set_t allowed;
  if (resident == 0 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return resident;
  for (int cpu = 0; cpu < CPU_SETSIZE && resident != 0 && error.empty(); ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t only;
    CPU_ZERO(&only);
    CPU_SET(cpu, &only);
    // sched_setaffinity returns once this thread runs on `cpu`.
    if (sched_setaffinity(0, sizeof only, &only) != 0) continue;
    if (page_out(pidfd, ranges, error)) resident = resident_of(droppable_mappings_of(pid));
  }
  sched_setaffinity(0, sizeof allowed, &allowed);
  return resident;
}

}  // namespace

std::vector<DroppableMapping> droppable_mappings_of(pid_t pid) {
  std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
  std::vector<DroppableMapping> found;
  DroppableMapping current;
  std::string line;
  while (std::getline(smaps, line)) {
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {
      // A mapping's header line: "start-end perms offset dev inode [path]".
      current = {};
      current.start = std::stoull(line.substr(0, dash), nullptr, 16);
      current.end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    } else if (line.starts_with("Rss:")) {
      current.resident = std::stoull(line.substr(4)) * 1024;
    } else if (line.starts_with("VmFlags:")) {
      std::istringstream flags(line.substr(8));
      std::string flag;
      while (flags >> flag)
        if (flag == "dp") found.push_back(current);
    }
  }
  return found;
}

DroppedPages drop_droppable_pages(pid_t root) {
  DroppedPages dropped;
  for (const pid_t pid : processes_below(root)) {
    const std::vector<DroppableMapping> mappings = droppable_mappings_of(pid);
    if (mappings.empty()) continue;
    ++dropped.processes;
    dropped.mappings += static_cast<unsigned>(mappings.size());
    dropped.resident_before += resident_of(mappings);
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
      dropped.errors.push_back("process " + std::to_string(pid) + ": " + std::strerror(errno));
      continue;
    }
    std::vector<iovec> ranges;
    for (const DroppableMapping& m : mappings)
      ranges.push_back({reinterpret_cast<void*>(m.start), m.end - m.start});
    std::string error;
    if (page_out(pidfd, ranges, error))
      dropped.resident_after += page_out_from_each_cpu(pid, pidfd, ranges, error);
    if (!error.empty()) dropped.errors.push_back("process " + std::to_string(pid) + ": " + error);
    close(pidfd);
  }
  return dropped;
}

std::string DroppedPages::describe() const {
  std::string text = std::to_string(processes) + " process(es), " + std::to_string(mappings) +
                     " droppable mapping(s), resident " + std::to_string(resident_before) + " -> " +
                     std::to_string(resident_after) + " bytes";
  for (const std::string& error : errors) text += "; " + error;
  return text;
}

}  // namespace vdsoforge::exec
