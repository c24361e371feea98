// The running kernel's own vDSO as a LoadedImage: already mapped by the
// kernel, parsed in place, never unmapped, and without a DataPage because its
// data pages belong to the kernel.
#include <sys/auxv.h>

#include <cstdio>
#include <typeinfo>

#include "image_base.h"
#include "proc_maps.h"

namespace vdsoforge {
namespace {

class KernelImage final : public detail::ImageBase {
 public:
  KernelImage(ElfImage elf, uintptr_t base, size_t size, uintptr_t data_base)
      : ImageBase(std::move(elf), base), size_(size), data_base_(data_base) {}

  bool is_kernel() const override { return true; }
  size_t image_size() const override { return size_; }
  uintptr_t data_area_base() const override { return data_base_; }
  size_t data_area_size() const override { return base() - data_base_; }
  DataPage* data_page() override { return nullptr; }

 private:
  size_t size_;
  uintptr_t data_base_;
};

std::string hex(uintptr_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%jx", static_cast<uintmax_t>(value));
  return text;
}

bool is_kernel_data_mapping(const std::string& name) {
  return name == "[vvar]" || name == "[vvar_vclock]";
}

}  // namespace

bool detail::is_kernel_image(const LoadedImage& image) { return typeid(image) == typeid(KernelImage); }

std::unique_ptr<LoadedImage> LoadedImage::open_kernel(Error& err) {
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) {
    err = {Errc::kernel_vdso_unavailable, "the kernel passed no vDSO (AT_SYSINFO_EHDR is 0)"};
    return nullptr;
  }
  Error maps_error;
  const auto maps = detail::read_own_maps(maps_error);
  if (!maps) {
    err = {Errc::kernel_vdso_unavailable, "cannot size the kernel vDSO: " + maps_error.message};
    return nullptr;
  }
  // The auxiliary vector gives only the start; the mapping gives the size,
  // which bounds every read the parser makes.
  const detail::MapsEntry* vdso = nullptr;
  for (const auto& entry : *maps)
    if (entry.start == base) vdso = &entry;
  if (vdso == nullptr || vdso->permissions.substr(0, 3) != "r-x") {
    err = {Errc::kernel_vdso_unavailable, "no r-x mapping in /proc/self/maps starts at the vDSO "
                                          "address " + hex(base) + " given by AT_SYSINFO_EHDR"};
    return nullptr;
  }
  const size_t size = vdso->end - vdso->start;

  auto elf = ElfImage::parse({reinterpret_cast<const uint8_t*>(base), size}, ParseMode::strict, err);
  if (!elf) {
    err.message = "kernel vDSO at " + hex(base) + ": " + err.message;
    return nullptr;
  }

  // The data pages are the kernel's mappings directly below, contiguous.
  uintptr_t data_base = base;
  for (bool extended = true; extended;) {
    extended = false;
    for (const auto& entry : *maps) {
      if (entry.end == data_base && is_kernel_data_mapping(entry.name)) {
        data_base = entry.start;
        extended = true;
      }
    }
  }
  return std::make_unique<KernelImage>(std::move(*elf), base, size, data_base);
}

}  // namespace vdsoforge
