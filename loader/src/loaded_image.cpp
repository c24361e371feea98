// LoadedImage's own job: answering for the mapping it holds, and resolving
// symbols against it.  Mapping happens in forged_image.cpp (images of this
// library) and kernel_image.cpp (the kernel's vDSO).
#include <elf.h>

#include "loader_access.h"

namespace vdsoforge {

LoadedImage::LoadedImage(ElfImage elf, std::unique_ptr<detail::ImageMapping> mapping)
    : elf_(std::move(elf)),
      mapping_(std::move(mapping)),
      thread_states_(std::make_unique<detail::ThreadStatePoolSlot>()) {}

LoadedImage::~LoadedImage() = default;

void* LoadedImage::symbol(std::string_view name, std::string_view version) const {
  const Symbol* found = elf_.lookup(name, version);
  if (found == nullptr) return nullptr;
  // An absolute symbol (such as the LINUX_2.6 version marker) is a value, not
  // a place in the image; dlsym hands such values back unrelocated.
  if (found->shndx == SHN_ABS) return reinterpret_cast<void*>(found->value);
  const uint64_t load_vaddr = elf_.load_segment().vaddr;
  if (found->value < load_vaddr || found->value - load_vaddr >= image_size()) return nullptr;
  return reinterpret_cast<void*>(base() + (found->value - load_vaddr));
}

bool LoadedImage::is_kernel() const { return mapping_->kernel; }
uintptr_t LoadedImage::base() const { return mapping_->image_base(); }
size_t LoadedImage::image_size() const { return mapping_->image_size; }
uintptr_t LoadedImage::data_area_base() const { return mapping_->data_area_base; }
size_t LoadedImage::data_area_size() const { return mapping_->layout.data_size; }
DataPage* LoadedImage::data_page() { return mapping_->data_page(); }
const layout::Profile* LoadedImage::layout_profile() const { return mapping_->layout.profile; }
std::optional<Chacha20Routine> LoadedImage::chacha20_routine() const { return mapping_->chacha20; }
int LoadedImage::data_fd() const { return mapping_->data_fd(); }
size_t LoadedImage::cpu_patches_applied() const { return mapping_->cpu_patches_applied; }

}  // namespace vdsoforge
