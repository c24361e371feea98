// vdsoforge::getrandom(image, ...): one state per (thread, image), taken from
// the image's pool on a thread's first call and given back when it exits.
#include <algorithm>
#include <cerrno>
#include <vector>

#include "loader_access.h"
#include "vdsoforge/thread_getrandom.h"

namespace vdsoforge {
namespace {

struct ThreadState {
  uint64_t pool_id;
  std::weak_ptr<detail::ThreadStatePool> pool;  // never locked on the hot path
  void* state;
};

class ThreadStates {
 public:
  ThreadStates() = default;
  ThreadStates(const ThreadStates&) = delete;
  ThreadStates& operator=(const ThreadStates&) = delete;

  // Runs at thread exit.  Locking the weak reference keeps the pool alive
  // while its state goes back even if another thread is closing the image
  // right now; a pool already gone took its states' memory with it.
  ~ThreadStates() {
    for (auto& entry : entries_)
      if (auto pool = entry.pool.lock()) pool->allocator->release(entry.state);
  }

  const ThreadState* find(uint64_t pool_id) const {
    for (const auto& entry : entries_)
      if (entry.pool_id == pool_id) return &entry;
    return nullptr;
  }

  const ThreadState* add(const std::shared_ptr<detail::ThreadStatePool>& pool) {
    // Entries of closed images are dead weight; drop them here, off the hot path.
    std::erase_if(entries_, [](const ThreadState& entry) { return entry.pool.expired(); });
    Error err;
    void* state = pool->allocator->allocate(err);
    if (state == nullptr) return nullptr;
    entries_.push_back({pool->id, pool, state});
    return &entries_.back();
  }

 private:
  std::vector<ThreadState> entries_;
};

thread_local ThreadStates this_thread_states;

}  // namespace

long getrandom(LoadedImage& image, void* buffer, size_t len, unsigned flags) {
  detail::ThreadStatePoolSlot& slot = detail::LoaderAccess::thread_states(image);
  const detail::ThreadStatePool* pool = slot.get_fast(image);
  if (pool == nullptr) return -ENOSYS;
  const ThreadState* entry = this_thread_states.find(pool->id);
  if (entry == nullptr) entry = this_thread_states.add(slot.get(image));
  if (entry == nullptr) return -ENOMEM;
  return pool->getrandom(buffer, len, flags, entry->state, pool->state_size);
}

const StateAllocator* thread_state_pool(LoadedImage& image) {
  const auto& pool = detail::LoaderAccess::thread_states(image).get(image);
  return pool ? pool->allocator.get() : nullptr;
}

}  // namespace vdsoforge
