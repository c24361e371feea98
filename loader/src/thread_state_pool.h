// The per-image pool that vdsoforge::getrandom(image, ...) draws thread
// states from, created on the first call.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

// Threads keep only weak references to the pool, so closing the image
// (which drops the one strong reference) unmaps the states even while
// threads still list them, and a thread that exits later finds the pool gone
// instead of freed memory.
struct ThreadStatePool {
  uint64_t id;  // unique for the process lifetime, unlike the image's address
  GetrandomFn getrandom;
  size_t state_size;
  std::unique_ptr<StateAllocator> allocator;
};

class ThreadStatePoolSlot {
 public:
  // Created on first use; nullptr if the image has no getrandom that answers
  // the parameter query or no state page could be mapped.
  const std::shared_ptr<ThreadStatePool>& get(const LoadedImage& image);
  // The same for the hot path: one atomic load once the pool exists.
  const ThreadStatePool* get_fast(const LoadedImage& image) {
    if (const ThreadStatePool* pool = ready_.load(std::memory_order_acquire)) return pool;
    return get(image).get();
  }

 private:
  std::once_flag once_;
  std::shared_ptr<ThreadStatePool> pool_;
  std::atomic<const ThreadStatePool*> ready_{nullptr};  // pool_.get() once created
};

}  // namespace vdsoforge::detail
