// What every LoadedImage of this library shares: the parsed ELF, symbol
// resolution against the mapping, and the lazily created state pool behind
// vdsoforge::getrandom(image, ...).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

// The per-image pool the per-thread helper draws states from.  Threads keep
// only weak references to it, so closing the image (which drops the one
// strong reference) unmaps the states even while threads still list them,
// and a thread that exits later finds the pool gone instead of freed memory.
struct ThreadStatePool {
  uint64_t id;  // unique for the process lifetime, unlike the image's address
  GetrandomFn getrandom;
  size_t state_size;
  std::unique_ptr<StateAllocator> allocator;
};

class ImageBase : public LoadedImage {
 public:
  ImageBase(ElfImage elf, uintptr_t base) : elf_(std::move(elf)), base_(base) {}

  void* symbol(std::string_view name, std::string_view version) const override;
  const ElfImage& elf() const override { return elf_; }
  uintptr_t base() const override { return base_; }

  // Created on first use; nullptr if the image has no getrandom that answers
  // the parameter query or no state page could be mapped.
  const std::shared_ptr<ThreadStatePool>& thread_pool();
  // The same for the hot path: one atomic load once the pool exists.
  const ThreadStatePool* thread_pool_fast() {
    if (const ThreadStatePool* pool = pool_ready_.load(std::memory_order_acquire)) return pool;
    return thread_pool().get();
  }

 private:
  ElfImage elf_;
  uintptr_t base_;
  std::once_flag pool_once_;
  std::shared_ptr<ThreadStatePool> pool_;
  std::atomic<const ThreadStatePool*> pool_ready_{nullptr};  // pool_.get() once created
};

// The LoadedImage classes of this library, recognised by their exact type:
// far cheaper than dynamic_cast on every getrandom call.  nullptr for any
// other LoadedImage.
ImageBase* as_image_base(LoadedImage& image);
bool is_forged_image(const LoadedImage& image);  // forged_image.cpp
bool is_kernel_image(const LoadedImage& image);  // kernel_image.cpp

}  // namespace vdsoforge::detail
