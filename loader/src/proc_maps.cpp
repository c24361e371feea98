#include "proc_maps.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace vdsoforge::detail {

std::optional<std::vector<MapsEntry>> read_own_maps(Error& err) {
  std::ifstream maps("/proc/self/maps");
  if (!maps) {
    err = {Errc::io, std::string("cannot read /proc/self/maps: ") + std::strerror(errno)};
    return std::nullopt;
  }
  std::vector<MapsEntry> entries;
  std::string line;
  while (std::getline(maps, line)) {
    // start-end perms offset dev inode [name]; the name may contain spaces.
    MapsEntry entry;
    char permissions[5] = {};
    int name_start = 0;
    uintmax_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%jx-%jx %4s %*x %*s %*u %n", &start, &end, permissions,
                    &name_start) < 3) {
      err = {Errc::io, "unexpected /proc/self/maps line: " + line};
      return std::nullopt;
    }
    entry.start = static_cast<uintptr_t>(start);
    entry.end = static_cast<uintptr_t>(end);
    entry.permissions = permissions;
    if (name_start > 0 && static_cast<size_t>(name_start) < line.size())
      entry.name = line.substr(static_cast<size_t>(name_start));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace vdsoforge::detail
