// A pool of page-contained states for one getrandom.  States are carved from
// whole pages mapped as the image asks; released states go on a free list and
// are handed out again, so a program that starts and ends threads keeps a
// bounded number of states.  Pages are only unmapped with the allocator.
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "state_memory.h"
#include "vdsoforge/loader.h"

namespace vdsoforge {
namespace {

class PooledStateAllocator final : public StateAllocator {
 public:
  PooledStateAllocator(abi::VgetrandomOpaqueParams params, detail::StateMapping first)
      : params_(params), backing_(first.backing) {
    add_page_states(std::move(first.memory));
  }

  void* allocate(Error& err) override {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {
      auto page = detail::map_state_pages(params_, abi::kPageSize);
      if (!page) {
        err = {Errc::map_failed,
               std::string("mapping a page of getrandom states failed: ") + std::strerror(errno)};
        return nullptr;
      }
      add_page_states(std::move(page->memory));
    }
    void* state = free_.back();
    free_.pop_back();
    ++in_use_;
    return state;
  }

  void release(void* state) override {
    if (state == nullptr) return;
    // The next owner starts from a wiped state (generation 0 forces a
    // reseed), so no key or unserved bytes pass from one thread to another.
    explicit_bzero(state, params_.size_of_opaque_state);
    std::lock_guard lock(mutex_);
    free_.push_back(state);
    --in_use_;
  }

  StateBacking backing() const override { return backing_; }
  const abi::VgetrandomOpaqueParams& params() const override { return params_; }
  size_t capacity() const override {
    std::lock_guard lock(mutex_);
    return pages_.size() * detail::states_per_page(params_);
  }
  size_t in_use() const override {
    std::lock_guard lock(mutex_);
    return in_use_;
  }

 private:
  // Caller holds mutex_ (or is the constructor).
  void add_page_states(detail::UniqueMapping page) {
    const size_t count = detail::states_per_page(params_);
    // Pushed in reverse so allocation hands out the page front to back.
    for (size_t i = count; i-- > 0;) free_.push_back(detail::state_address(page.get(), params_, i));
    pages_.push_back(std::move(page));
  }

  const abi::VgetrandomOpaqueParams params_;
  const StateBacking backing_;
  mutable std::mutex mutex_;
  std::vector<detail::UniqueMapping> pages_;
  std::vector<void*> free_;
  size_t in_use_ = 0;
};

}  // namespace

std::string_view backing_name(StateBacking backing) {
  switch (backing) {
    case StateBacking::droppable:
      return "MAP_DROPPABLE";
    case StateBacking::wipe_on_fork:
      return "MADV_WIPEONFORK+MADV_DONTDUMP";
  }
  return "unknown";
}

std::unique_ptr<StateAllocator> StateAllocator::create(GetrandomFn getrandom, Error& err) {
  auto params = detail::query_state_params(getrandom, err);
  if (!params) return nullptr;
  // Mapping the first page now settles backing() before any state is used.
  auto first = detail::map_state_pages(*params, abi::kPageSize);
  if (!first) {
    err = {Errc::map_failed,
           std::string("mapping a page of getrandom states failed: ") + std::strerror(errno)};
    return nullptr;
  }
  return std::make_unique<PooledStateAllocator>(*params, std::move(*first));
}

}  // namespace vdsoforge
