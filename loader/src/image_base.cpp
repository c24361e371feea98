#include "image_base.h"

#include <elf.h>

namespace vdsoforge::detail {

void* ImageBase::symbol(std::string_view name, std::string_view version) const {
  const Symbol* found = elf_.lookup(name, version);
  if (found == nullptr) return nullptr;
  // An absolute symbol (such as the LINUX_2.6 version marker) is a value, not
  // a place in the image; dlsym hands such values back unrelocated.
  if (found->shndx == SHN_ABS) return reinterpret_cast<void*>(found->value);
  const uint64_t load_vaddr = elf_.load_segment().vaddr;
  if (found->value < load_vaddr || found->value - load_vaddr >= image_size()) return nullptr;
  return reinterpret_cast<void*>(base_ + (found->value - load_vaddr));
}

const std::shared_ptr<ThreadStatePool>& ImageBase::thread_pool() {
  static std::atomic<uint64_t> next_pool_id{1};
  std::call_once(pool_once_, [this] {
    const GetrandomFn function = getrandom();
    if (function == nullptr) return;
    Error err;
    auto allocator = StateAllocator::create(function, err);
    if (!allocator) return;
    const size_t state_size = allocator->params().size_of_opaque_state;
    pool_ = std::make_shared<ThreadStatePool>(
        ThreadStatePool{next_pool_id.fetch_add(1), function, state_size, std::move(allocator)});
    pool_ready_.store(pool_.get(), std::memory_order_release);
  });
  return pool_;
}

ImageBase* as_image_base(LoadedImage& image) {
  if (is_forged_image(image) || is_kernel_image(image)) return static_cast<ImageBase*>(&image);
  return nullptr;
}

}  // namespace vdsoforge::detail
