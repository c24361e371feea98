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

struct StateAllocator::Pool {
  Pool(abi::VgetrandomOpaqueParams params, detail::StateMapping first)
      : params(params), backing(first.backing) {
    add_page_states(std::move(first.memory));
  }

  // Caller holds mutex (or is the constructor).
  void add_page_states(detail::UniqueMapping page) {
    const size_t count = detail::states_per_page(params);
    // Pushed in reverse so allocation hands out the page front to back.
    for (size_t i = count; i-- > 0;) free.push_back(detail::state_address(page.get(), params, i));
    pages.push_back(std::move(page));
  }

  const abi::VgetrandomOpaqueParams params;
  const StateBacking backing;
  mutable std::mutex mutex;
  std::vector<detail::UniqueMapping> pages;
  std::vector<void*> free;
  size_t in_use = 0;
};

namespace {

Error state_page_error() {
  return {LoaderErrc::map_failed,
          std::string("mapping a page of getrandom states failed: ") + std::strerror(errno)};
}

}  // namespace

StateAllocator::StateAllocator(std::unique_ptr<Pool> pool) : pool_(std::move(pool)) {}
StateAllocator::~StateAllocator() = default;

void* StateAllocator::allocate(Error& err) {
  std::lock_guard lock(pool_->mutex);
  if (pool_->free.empty()) {
    auto page = detail::map_state_pages(pool_->params, abi::kPageSize);
    if (!page) {
      err = state_page_error();
      return nullptr;
    }
    pool_->add_page_states(std::move(page->memory));
  }
  void* state = pool_->free.back();
  pool_->free.pop_back();
  ++pool_->in_use;
  return state;
}

void StateAllocator::release(void* state) {
  if (state == nullptr) return;
  // The next owner starts from a wiped state (generation 0 forces a
  // reseed), so no key or unserved bytes pass from one thread to another.
  explicit_bzero(state, pool_->params.size_of_opaque_state);
  std::lock_guard lock(pool_->mutex);
  pool_->free.push_back(state);
  --pool_->in_use;
}

StateBacking StateAllocator::backing() const { return pool_->backing; }
const abi::VgetrandomOpaqueParams& StateAllocator::params() const { return pool_->params; }

size_t StateAllocator::capacity() const {
  std::lock_guard lock(pool_->mutex);
  return pool_->pages.size() * detail::states_per_page(pool_->params);
}

size_t StateAllocator::in_use() const {
  std::lock_guard lock(pool_->mutex);
  return pool_->in_use;
}

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
    err = state_page_error();
    return nullptr;
  }
  return std::unique_ptr<StateAllocator>(
      new StateAllocator(std::make_unique<Pool>(*params, std::move(*first))));
}

}  // namespace vdsoforge
