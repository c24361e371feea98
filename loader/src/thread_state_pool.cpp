#include "thread_state_pool.h"

namespace vdsoforge::detail {

const std::shared_ptr<ThreadStatePool>& ThreadStatePoolSlot::get(const LoadedImage& image) {
  static std::atomic<uint64_t> next_pool_id{1};
  std::call_once(once_, [&] {
    const GetrandomFn function = image.getrandom();
    if (function == nullptr) return;
    Error err;
    auto allocator = StateAllocator::create(function, err);
    if (!allocator) return;
    const size_t state_size = allocator->params().size_of_opaque_state;
    pool_ = std::make_shared<ThreadStatePool>(
        ThreadStatePool{next_pool_id.fetch_add(1), function, state_size, std::move(allocator)});
    ready_.store(pool_.get(), std::memory_order_release);
  });
  return pool_;
}

}  // namespace vdsoforge::detail
