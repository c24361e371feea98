#include "process_tree.h"

#include <dirent.h>

#include <cstdlib>
#include <map>
#include <string>

#include "proc_status.h"

namespace vdsoforge::exec {

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

}  // namespace vdsoforge::exec
