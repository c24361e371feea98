#include "state_snapshot.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "droppable_pages.h"
#include "process_tree.h"
#include "state_snapshot_file.h"

namespace vdsoforge::exec {

namespace {

// Clock ticks since boot at which `pid` started (/proc/PID/stat field 22);
// 0 if it is gone.
uint64_t start_time_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  // The command name (field 2) may hold spaces and parentheses: count the
  // fields after its last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  return 0;
}

struct TreeProcess {
  pid_t pid;
  std::vector<DroppableMapping> mappings;  // address order, as smaps lists them
};

// The processes below `root` that have droppable mappings, in the order they
// were created (start time, then pid): the same order in two runs of the same
// program whatever pids and addresses they got.
std::vector<TreeProcess> tree_in_creation_order(pid_t root) {
  std::vector<std::pair<std::pair<uint64_t, pid_t>, TreeProcess>> found;
  for (const pid_t pid : processes_below(root)) {
    std::vector<DroppableMapping> mappings = droppable_mappings_of(pid);
    if (!mappings.empty())
      found.push_back({{start_time_of(pid), pid}, TreeProcess{pid, std::move(mappings)}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TreeProcess> tree;
  for (auto& entry : found) tree.push_back(std::move(entry.second));
  return tree;
}

std::string shape_of(const std::vector<TreeProcess>& tree) {
  SavedStates shape;
  for (const TreeProcess& process : tree) {
    auto& mappings = shape.processes.emplace_back();
    for (const DroppableMapping& m : process.mappings) mappings.emplace_back(m.end - m.start);
  }
  return shape.shape();
}

}  // namespace

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

StateSnapshot::Counts StateSnapshot::save_to(pid_t root, const std::string& path,
                                             uint64_t generation) {
  std::lock_guard lock(mutex_);
  Counts counts;
  SavedStates states;
  states.generation = generation;
  for (const TreeProcess& process : tree_in_creation_order(root)) {
    auto& saved = states.processes.emplace_back();
    for (const DroppableMapping& m : process.mappings) {
      std::vector<uint8_t>& bytes = saved.emplace_back(m.end - m.start);
      iovec local{bytes.data(), bytes.size()};
      iovec remote{reinterpret_cast<void*>(m.start), bytes.size()};
      // A page the kernel dropped reads as zeros, as the program would read it.
      if (process_vm_readv(process.pid, &local, 1, &remote, 1, 0) !=
          static_cast<ssize_t>(bytes.size())) {
        counts.errors.push_back("process " + std::to_string(process.pid) +
                                ": process_vm_readv: " + std::strerror(errno));
        counts.refused = true;
        return counts;
      }
      ++counts.mappings;
      counts.bytes += bytes.size();
    }
    ++counts.processes;
  }
  std::string error;
  if (states.processes.empty()) {
    error = "no process of the program has droppable (state) mappings yet: nothing to save";
  } else if (!write_saved_states(path, states, error)) {
    // `error` says why.
  } else {
    return counts;
  }
  counts = {};
  counts.refused = true;
  counts.errors.push_back(error);
  return counts;
}

StateSnapshot::Counts StateSnapshot::restore_from(pid_t root, const std::string& path,
                                                  uint64_t generation,
                                                  std::string& generation_note) {
  std::lock_guard lock(mutex_);
  Counts counts;
  counts.refused = true;
  std::string error;
  const std::optional<SavedStates> states = read_saved_states(path, error);
  if (!states) {
    counts.errors.push_back(error);
    return counts;
  }
  const std::vector<TreeProcess> tree = tree_in_creation_order(root);
  const std::string theirs = states->shape(), ours = shape_of(tree);
  if (theirs != ours) {
    counts.errors.push_back(path + ": the snapshot's states do not fit the program's: it holds " +
                            theirs + "; the program has " + ours +
                            " (processes in creation order, each one's droppable mappings' sizes "
                            "in address order)");
    return counts;
  }
  counts.refused = false;
  for (size_t p = 0; p < tree.size(); ++p) {
    bool written = false;
    for (size_t m = 0; m < tree[p].mappings.size(); ++m) {
      const std::vector<uint8_t>& bytes = states->processes[p][m];
      iovec local{const_cast<uint8_t*>(bytes.data()), bytes.size()};
      iovec remote{reinterpret_cast<void*>(tree[p].mappings[m].start), bytes.size()};
      if (process_vm_writev(tree[p].pid, &local, 1, &remote, 1, 0) !=
          static_cast<ssize_t>(bytes.size())) {
        counts.errors.push_back("process " + std::to_string(tree[p].pid) +
                                ": process_vm_writev: " + std::strerror(errno));
        continue;
      }
      written = true;
      ++counts.mappings;
      counts.bytes += bytes.size();
    }
    counts.processes += written;
  }
  generation_note =
      states->generation == generation
          ? "same generation as at the snapshot (" + std::to_string(generation) + ")"
          : "the generation moved since the snapshot (" + std::to_string(states->generation) +
                " -> " + std::to_string(generation) + "): the restored states refetch their keys";
  return counts;
}

std::string StateSnapshot::Counts::describe(const char* verb) const {
  if (refused) {
    std::string text = std::string("refused");
    for (const std::string& error : errors) text += ": " + error;
    return text;
  }
  std::string text = std::string(verb) + " " + std::to_string(bytes) + " bytes in " +
                     std::to_string(mappings) + " droppable mapping(s) of " +
                     std::to_string(processes) + " process(es)";
  for (const std::string& error : errors) text += "; " + error;
  return text;
}

}  // namespace vdsoforge::exec
