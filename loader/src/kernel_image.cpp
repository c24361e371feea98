// The running kernel's own vDSO as a LoadedImage: already mapped by the
// kernel, parsed from a copy of its bytes, never unmapped, and without a
// DataPage because its data pages belong to the kernel.
#include <typeinfo>

#include "image_base.h"
#include "vdsoforge/hex.h"
#include "vdsoforge/kernel_vdso.h"

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
  int data_fd() const override { return -1; }

 private:
  size_t size_;
  uintptr_t data_base_;
};

bool is_kernel_data_mapping(const std::string& name) {
  return name == "[vvar]" || name == "[vvar_vclock]";
}

}  // namespace

bool detail::is_kernel_image(const LoadedImage& image) {
  return typeid(image) == typeid(KernelImage);
}

std::unique_ptr<LoadedImage> LoadedImage::open_kernel(Error& err) {
  const auto vdso = find_kernel_vdso(err);
  if (!vdso) return nullptr;
  if (!vdso->permissions.starts_with("r-x")) {
    err = {Errc::kernel_vdso_unavailable,
           "the [vdso] mapping at " + hex(vdso->base) + " is " + vdso->permissions + ", not r-x"};
    return nullptr;
  }

  auto elf = ElfImage::parse(vdso->bytes, ParseMode::strict, err);
  if (!elf) {
    err.message = "kernel vDSO at " + hex(vdso->base) + ": " + err.message;
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
  return std::make_unique<KernelImage>(std::move(*elf), vdso->base, vdso->bytes.size(), data_base);
}

}  // namespace vdsoforge
