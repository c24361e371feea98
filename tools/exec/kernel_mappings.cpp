#include "kernel_mappings.h"

#include <cstdio>
#include <fstream>

namespace vdsoforge::exec {

std::vector<KernelRange> kernel_vdso_mappings(pid_t pid) {
  std::vector<KernelRange> ranges;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t bracket = line.find('[');
    if (bracket == std::string::npos) continue;
    const std::string name = line.substr(bracket);
    if (name != "[vdso]" && !name.starts_with("[vvar")) continue;
    unsigned long start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &start, &end) == 2)
      ranges.push_back({start, end, name});
  }
  return ranges;
}

}  // namespace vdsoforge::exec
