#include "abi_kernel_vdso.h"

#include <sys/auxv.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vdsoforge::tools {

namespace {

// One line of /proc/self/maps: "start-end perms offset dev inode   name".
std::optional<SpecialMapping> parse_maps_line(const std::string& line) {
  std::istringstream in(line);
  std::string range, permissions, offset, device, inode, name;
  if (!(in >> range >> permissions >> offset >> device >> inode)) return std::nullopt;
  std::getline(in >> std::ws, name);
  const auto dash = range.find('-');
  if (dash == std::string::npos) return std::nullopt;
  try {
    SpecialMapping mapping{.name = name,
                           .start = std::stoull(range.substr(0, dash), nullptr, 16),
                           .end = std::stoull(range.substr(dash + 1), nullptr, 16),
                           .permissions = permissions};
    return mapping;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<KernelVdso> read_kernel_vdso(std::string& error) {
  const unsigned long base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) {
    error = "the kernel gave this process no vDSO (AT_SYSINFO_EHDR is 0)";
    return std::nullopt;
  }
  std::ifstream maps("/proc/self/maps");
  if (!maps) {
    error = std::string("cannot read /proc/self/maps: ") + std::strerror(errno);
    return std::nullopt;
  }
  KernelVdso vdso;
  vdso.base = base;
  const SpecialMapping* image_mapping = nullptr;
  for (std::string line; std::getline(maps, line);) {
    auto mapping = parse_maps_line(line);
    if (!mapping || mapping->name.size() < 2 || mapping->name.front() != '[') continue;
    if (mapping->name == "[heap]" || mapping->name == "[stack]") continue;
    vdso.mappings.push_back(*mapping);
  }
  for (const SpecialMapping& mapping : vdso.mappings) {
    if (mapping.name == "[vdso]" && mapping.start == base) image_mapping = &mapping;
  }
  if (image_mapping == nullptr) {
    std::ostringstream message;
    message << "/proc/self/maps shows no [vdso] mapping starting at AT_SYSINFO_EHDR 0x" << std::hex
            << base;
    error = message.str();
    return std::nullopt;
  }
  // The mapping is the kernel's own and readable for its whole length, so a
  // plain copy reads exactly what the process sees.
  const auto* first = reinterpret_cast<const uint8_t*>(image_mapping->start);
  vdso.bytes.assign(first, first + (image_mapping->end - image_mapping->start));
  return vdso;
}

}  // namespace vdsoforge::tools
