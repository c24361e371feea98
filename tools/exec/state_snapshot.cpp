#include "state_snapshot.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "droppable_pages.h"

namespace vdsoforge::exec {

StateSnapshot::Counts StateSnapshot::take(pid_t root) {
  std::lock_guard lock(mutex_);
  regions_.clear();
  Counts counts;
  for (const pid_t pid : processes_below(root)) {
    const std::vector<DroppableMapping> mappings = droppable_mappings_of(pid);
    if (mappings.empty()) continue;
    ++counts.processes;
    for (const DroppableMapping& m : mappings) {
      Region region{pid, m.start, std::vector<uint8_t>(m.end - m.start)};
      iovec local{region.bytes.data(), region.bytes.size()};
      iovec remote{reinterpret_cast<void*>(m.start), region.bytes.size()};
      // A page the kernel dropped reads as zeros, as the program would read it.
      if (process_vm_readv(pid, &local, 1, &remote, 1, 0) !=
          static_cast<ssize_t>(region.bytes.size())) {
        counts.errors.push_back("process " + std::to_string(pid) +
                                ": process_vm_readv: " + std::strerror(errno));
        continue;
      }
      ++counts.mappings;
      counts.bytes += region.bytes.size();
      regions_.push_back(std::move(region));
    }
  }
  return counts;
}

StateSnapshot::Counts StateSnapshot::restore() {
  std::lock_guard lock(mutex_);
  Counts counts;
  std::set<pid_t> processes;
  for (Region& region : regions_) {
    iovec local{region.bytes.data(), region.bytes.size()};
    iovec remote{reinterpret_cast<void*>(region.start), region.bytes.size()};
    if (process_vm_writev(region.pid, &local, 1, &remote, 1, 0) !=
        static_cast<ssize_t>(region.bytes.size())) {
      counts.errors.push_back("process " + std::to_string(region.pid) +
                              ": process_vm_writev: " + std::strerror(errno));
      continue;
    }
    processes.insert(region.pid);
    ++counts.mappings;
    counts.bytes += region.bytes.size();
  }
  counts.processes = static_cast<unsigned>(processes.size());
  return counts;
}

std::string StateSnapshot::Counts::describe(const char* verb) const {
  std::string text = std::string(verb) + " " + std::to_string(bytes) + " bytes in " +
                     std::to_string(mappings) + " droppable mapping(s) of " +
                     std::to_string(processes) + " process(es)";
  for (const std::string& error : errors) text += "; " + error;
  return text;
}

}  // namespace vdsoforge::exec
