// How image code reads (and the host test library writes) memory another
// party changes concurrently: whole values, in program order.
#pragma once

namespace vdsoforge::image {

template <typename T>
[[gnu::always_inline]] inline T read_once(const T& v) {
  return __atomic_load_n(&v, __ATOMIC_RELAXED);
}

template <typename T>
[[gnu::always_inline]] inline void write_once(T& v, T value) {
  __atomic_store_n(&v, value, __ATOMIC_RELAXED);
}

// Keeps the compiler from moving memory accesses across this point.  x86 does
// not reorder loads with loads, so this is all the kernel's smp_rmb() is there.
[[gnu::always_inline]] inline void compiler_barrier() { asm volatile("" ::: "memory"); }

}  // namespace vdsoforge::image
