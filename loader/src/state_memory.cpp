#include "state_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <string>

namespace vdsoforge::detail {

std::optional<abi::VgetrandomOpaqueParams> query_state_params(GetrandomFn getrandom, Error& err) {
  if (getrandom == nullptr) {
    err = {LoaderErrc::not_supported, "the image exports no __vdso_getrandom"};
    return std::nullopt;
  }
  abi::VgetrandomOpaqueParams params{};
  const long status = getrandom(nullptr, 0, 0, &params, ~0UL);
  if (status != 0) {
    err = {LoaderErrc::not_supported, "getrandom parameter query (opaque_len == ~0UL) returned " +
                                          std::to_string(status) + " instead of 0"};
    return std::nullopt;
  }
  if (params.size_of_opaque_state < sizeof(abi::VgetrandomState) ||
      params.size_of_opaque_state > abi::kPageSize) {
    err = {LoaderErrc::invalid_argument,
           "getrandom parameter query gave size_of_opaque_state " +
               std::to_string(params.size_of_opaque_state) + ", outside [" +
               std::to_string(sizeof(abi::VgetrandomState)) + ", 4096]"};
    return std::nullopt;
  }
  if ((params.mmap_prot & (PROT_READ | PROT_WRITE)) != (PROT_READ | PROT_WRITE) ||
      (params.mmap_prot & PROT_EXEC) != 0) {
    err = {LoaderErrc::invalid_argument, "getrandom parameter query gave mmap_prot " +
                                             std::to_string(params.mmap_prot) +
                                             ", states need exactly read+write"};
    return std::nullopt;
  }
  if ((params.mmap_flags & MAP_ANONYMOUS) == 0 || (params.mmap_flags & MAP_FIXED) != 0) {
    err = {LoaderErrc::invalid_argument, "getrandom parameter query gave mmap_flags " +
                                             std::to_string(params.mmap_flags) +
                                             ", states need anonymous, non-fixed memory"};
    return std::nullopt;
  }
  return params;
}

std::optional<StateMapping> map_state_pages(const abi::VgetrandomOpaqueParams& params,
                                            size_t bytes) {
  void* memory = mmap(nullptr, bytes, static_cast<int>(params.mmap_prot),
                      static_cast<int>(params.mmap_flags), -1, 0);
  if (memory != MAP_FAILED) {
    const bool droppable = (params.mmap_flags & abi::kMapDroppable) != 0;
    return StateMapping{UniqueMapping(memory, bytes),
                        droppable ? StateBacking::droppable : StateBacking::wipe_on_fork};
  }
  if (errno != EINVAL || (params.mmap_flags & abi::kMapDroppable) == 0) return std::nullopt;

  // Kernels before 6.11 do not know MAP_DROPPABLE.  Private memory that is
  // wiped in a forked child and left out of core dumps keeps what matters:
  // no two processes ever share a state, and keys never land on disk.
  memory =
      mmap(nullptr, bytes, static_cast<int>(params.mmap_prot), MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return std::nullopt;
  UniqueMapping mapping(memory, bytes);
  if (madvise(memory, bytes, MADV_WIPEONFORK) != 0 || madvise(memory, bytes, MADV_DONTDUMP) != 0) {
    const int reason = errno;  // unmapping must not hide why madvise failed
    mapping.reset();
    errno = reason;
    return std::nullopt;
  }
  return StateMapping{std::move(mapping), StateBacking::wipe_on_fork};
}

}  // namespace vdsoforge::detail
