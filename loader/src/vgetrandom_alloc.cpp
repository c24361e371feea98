// The dedicated allocation call of an earlier vgetrandom design (docs/abi.md,
// "Allocating states"), as a library
// function: one mapping holding `num` states (rounded up to whole pages of
// them), laid out so that no state straddles a page.
#include "vdsoforge/vgetrandom_alloc.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

#include "state_memory.h"

namespace vdsoforge {

void* vgetrandom_alloc(GetrandomFn getrandom, VgetrandomAllocArgs* args, size_t args_len) {
  if (args == nullptr) {
    errno = EFAULT;
    return nullptr;
  }
  // A caller built against a shorter struct would have fields we would write
  // past; flags are reserved so they can mean something later.
  if (args_len < sizeof(VgetrandomAllocArgs) || args->flags != 0 || args->num == 0) {
    errno = EINVAL;
    return nullptr;
  }
  Error err;
  const auto params = detail::query_state_params(getrandom, err);
  if (!params) {
    errno = getrandom == nullptr ? EINVAL : ENOSYS;
    return nullptr;
  }
  const uint64_t per_page = detail::states_per_page(*params);
  const uint64_t pages = args->num / per_page + (args->num % per_page != 0 ? 1 : 0);
  // More pages than the address space can hold can never be mapped.
  if (pages > (SIZE_MAX >> 12) / 2) {
    errno = ENOMEM;
    return nullptr;
  }
  const size_t bytes = static_cast<size_t>(pages) * abi::kPageSize;
  auto mapping = detail::map_state_pages(*params, bytes);
  if (!mapping) {
    errno = ENOMEM;
    return nullptr;
  }
  args->num = pages * per_page;
  args->size_per_each = params->size_of_opaque_state;
  args->bytes_allocated = bytes;
  return mapping->memory.release();
}

int vgetrandom_free(void* base, size_t bytes_allocated) {
  const auto address = reinterpret_cast<uintptr_t>(base);
  if (base == nullptr || address % abi::kPageSize != 0 || bytes_allocated == 0 ||
      bytes_allocated % abi::kPageSize != 0) {
    errno = EINVAL;
    return -1;
  }
  return munmap(base, bytes_allocated);
}

}  // namespace vdsoforge
