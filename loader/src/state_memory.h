// Memory for vgetrandom states, shared by StateAllocator and vgetrandom_alloc:
// the parameter query, and mapping pages the way the image asks with the
// fallback for kernels that refuse MAP_DROPPABLE.
#pragma once

#include <cstddef>
#include <optional>

#include "unique_mapping.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

// Runs the `opaque_len == ~0UL` query and checks the answer is usable: a
// state size that fits a page at least once and a known protection.  Returns
// nullopt (and fills err) when the function refuses or answers nonsense.
std::optional<abi::VgetrandomOpaqueParams> query_state_params(GetrandomFn getrandom, Error& err);

inline size_t states_per_page(const abi::VgetrandomOpaqueParams& params) {
  return abi::kPageSize / params.size_of_opaque_state;
}

// Address of state `index` in pages packed states_per_page() to a page, so
// that no state straddles a page boundary.
inline void* state_address(void* base, const abi::VgetrandomOpaqueParams& params, size_t index) {
  const size_t per_page = states_per_page(params);
  return static_cast<unsigned char*>(base) + index / per_page * abi::kPageSize +
         index % per_page * params.size_of_opaque_state;
}

struct StateMapping {
  UniqueMapping memory;
  StateBacking backing;
};

// Maps `bytes` (whole pages) with params.mmap_prot/mmap_flags.  If the kernel
// rejects the flags with EINVAL and they include MAP_DROPPABLE, maps private
// anonymous memory instead and asks for MADV_WIPEONFORK and MADV_DONTDUMP,
// which give the two properties of MAP_DROPPABLE a state needs most.  On
// failure returns nullopt with errno set.
std::optional<StateMapping> map_state_pages(const abi::VgetrandomOpaqueParams& params,
                                            size_t bytes);

}  // namespace vdsoforge::detail
