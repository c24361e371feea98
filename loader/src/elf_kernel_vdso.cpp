// Finding the running kernel's vDSO as a byte range.
#include <elf.h>
#include <sys/auxv.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

namespace {

// End of the mapping that starts at `base`, from /proc/self/maps; 0 if absent.
uintptr_t mapping_end(uintptr_t base) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && start == base) {
      return end;
    }
  }
  return 0;
}

// Without /proc: the extent the kernel's own headers describe (the PT_LOADs
// and the section header table), rounded up to whole pages as mapped.  The
// kernel's vDSO is trusted to describe itself, which a file would not be.
size_t extent_from_headers(uintptr_t base) {
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  uint64_t end = eh->e_shoff + uint64_t{eh->e_shnum} * eh->e_shentsize;
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
  for (uint16_t i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD) end = std::max<uint64_t>(end, ph[i].p_offset + ph[i].p_filesz);
  }
  return static_cast<size_t>((end + 4095) & ~uint64_t{4095});
}

}  // namespace

std::span<const uint8_t> kernel_vdso_bytes(Error& err) {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) {
    err = Error{Errc::kernel_vdso_unavailable, "the kernel passed no AT_SYSINFO_EHDR: no vDSO"};
    return {};
  }
  const uintptr_t end = mapping_end(base);
  const size_t size = end > base ? end - base : extent_from_headers(base);
  return {reinterpret_cast<const uint8_t*>(base), size};
}

}  // namespace vdsoforge
