// States the way applications get them: from a StateAllocator built on the
// getrandom under test, so they live in MAP_DROPPABLE memory and behave as
// the kernel intends on fork and reclaim.
#pragma once

#include <catch2/catch.hpp>
#include <memory>

#include "vdsoforge/loader.h"

namespace conformance {

inline std::unique_ptr<vdsoforge::StateAllocator> droppable_pool(vdsoforge::GetrandomFn fn) {
  vdsoforge::Error err;
  auto pool = vdsoforge::StateAllocator::create(fn, err);
  if (!pool) FAIL("StateAllocator::create: " << err.message);
  // This kernel has MAP_DROPPABLE; a fallback here would test something else.
  REQUIRE(pool->backing() == vdsoforge::StateBacking::droppable);
  return pool;
}

inline uint8_t* allocate_state(vdsoforge::StateAllocator& pool) {
  vdsoforge::Error err;
  void* state = pool.allocate(err);
  if (!state) FAIL("allocate: " << err.message);
  return static_cast<uint8_t*>(state);
}

}  // namespace conformance
