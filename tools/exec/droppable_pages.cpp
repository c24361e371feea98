#include "droppable_pages.h"

#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace vdsoforge::exec {

namespace {

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

pid_t parent_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("PPid:")) return static_cast<pid_t>(std::stol(line.substr(5)));
  return 0;
}

uint64_t resident_of(const std::vector<DroppableMapping>& mappings) {
  uint64_t total = 0;
  for (const DroppableMapping& m : mappings) total += m.resident;
  return total;
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

std::vector<pid_t> processes_below(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* entry = readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (*end != 0 || pid <= 0) continue;
      children[parent_of(static_cast<pid_t>(pid))].push_back(static_cast<pid_t>(pid));
    }
    closedir(proc);
  }
  std::vector<pid_t> found, pending = {root};
  while (!pending.empty()) {
    const pid_t parent = pending.back();
    pending.pop_back();
    for (pid_t child : children[parent]) {
      found.push_back(child);
      pending.push_back(child);
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
    // One call per mapping: a mapping unmapped meanwhile fails alone.
    for (const iovec& range : ranges) {
      if (syscall(SYS_process_madvise, pidfd, &range, 1, MADV_PAGEOUT, 0) < 0 && errno != ENOMEM) {
        dropped.errors.push_back("process " + std::to_string(pid) +
                                 ": process_madvise: " + std::strerror(errno));
        break;
      }
    }
    close(pidfd);
    dropped.resident_after += resident_of(droppable_mappings_of(pid));
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
