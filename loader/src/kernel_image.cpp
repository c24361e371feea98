// The running kernel's own vDSO as a LoadedImage: already mapped by the
// kernel, parsed from a copy of its bytes, never unmapped, and without a
// DataPage because its data pages belong to the kernel.
#include "loader_access.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/kernel_vdso.h"

namespace vdsoforge {
namespace {

bool is_kernel_data_mapping(const std::string& name) {
  return name == "[vvar]" || name == "[vvar_vclock]";
}

}  // namespace

std::unique_ptr<detail::ImageMapping> detail::ImageMapping::kernel_vdso(uintptr_t base, size_t size,
                                                                        uintptr_t data_base) {
  auto mapping = std::make_unique<ImageMapping>();
  mapping->kernel = true;
  mapping->data_area_base = data_base;
  mapping->image_size = size;
  mapping->layout.data_size = base - data_base;
  return mapping;
}
std::unique_ptr<LoadedImage> LoadedImage::open_kernel(Error& err) {
  const auto vdso = find_kernel_vdso(err);
  if (!vdso) return nullptr;
  if (!vdso->permissions.starts_with("r-x")) {
    err = {LoaderErrc::kernel_vdso_unavailable,
           "the [vdso] mapping at " + hex(vdso->base) + " is " + vdso->permissions + ", not r-x"};
    return nullptr;
  }

  ElfError refusal;
  auto elf = ElfImage::parse(vdso->bytes, ParseMode::strict, refusal);
  if (!elf) {
    err = {refusal.code, "kernel vDSO at " + hex(vdso->base) + ": " + refusal.message};
    return nullptr;
  }

  // The data pages are the kernel's mappings directly below, contiguous.
  uintptr_t data_base = vdso->base;
  for (bool extended = true; extended;) {
    extended = false;
    for (const KernelMapping& mapping : vdso->mappings) {
      if (mapping.end == data_base && is_kernel_data_mapping(mapping.name)) {
        data_base = mapping.start;
        extended = true;
      }
    }
  }
  return detail::LoaderAccess::make_image(
      std::move(*elf),
      detail::ImageMapping::kernel_vdso(vdso->base, vdso->bytes.size(), data_base));
}

}  // namespace vdsoforge
