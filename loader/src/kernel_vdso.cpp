// Finding the running kernel's vDSO and its special mappings.  The one place
// in the project that asks the kernel where its vDSO lies.
#include "vdsoforge/kernel_vdso.h"

#include <sys/auxv.h>

#include "proc_maps.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/hex.h"

namespace vdsoforge {
namespace {

// Bracketed names are the kernel's special mappings, except the ones that
// describe the process's own memory.
bool is_kernel_special(const std::string& name) {
  if (name.size() < 2 || name.front() != '[') return false;
  return name != "[heap]" && !name.starts_with("[stack") && !name.starts_with("[anon");
}

}  // namespace

std::optional<KernelVdso> find_kernel_vdso(Error& err) {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) {
    err = {LoaderErrc::kernel_vdso_unavailable, "the kernel passed no vDSO (AT_SYSINFO_EHDR is 0)"};
    return std::nullopt;
  }
  Error maps_error;
  const auto maps = detail::read_own_maps(maps_error);
  if (!maps) {
    err = {LoaderErrc::kernel_vdso_unavailable,
           "cannot size the kernel vDSO: " + maps_error.message};
    return std::nullopt;
  }
  KernelVdso vdso;
  vdso.base = base;
  for (const detail::MapsEntry& entry : *maps) {
    if (!is_kernel_special(entry.name)) continue;
    vdso.mappings.push_back({entry.name, entry.start, entry.end, entry.permissions});
  }
  // The auxiliary vector gives only the start; the mapping gives the size,
  // which bounds every read made of the vDSO.
  for (const KernelMapping& mapping : vdso.mappings) {
    if (mapping.start != base || mapping.name != "[vdso]") continue;
    if (!mapping.permissions.starts_with("r")) break;
    vdso.bytes = {reinterpret_cast<const uint8_t*>(base), mapping.end - mapping.start};
    vdso.permissions = mapping.permissions;
    return vdso;
  }
  err = {LoaderErrc::kernel_vdso_unavailable,
         "/proc/self/maps shows no readable [vdso] mapping at " + hex(base) +
             ", the vDSO address AT_SYSINFO_EHDR gives"};
  return std::nullopt;
}

std::span<const uint8_t> kernel_vdso_bytes(Error& err) {
  const auto vdso = find_kernel_vdso(err);
  return vdso ? vdso->bytes : std::span<const uint8_t>{};
}

}  // namespace vdsoforge
