// The two CPU reads the time functions need, as the kernel's x86 vDSO makes
// them before its alternatives are applied.
//
// rdtsc_ordered(): the kernel picks "rdtscp" on CPUs that have it, else
// "lfence; rdtsc", at boot.  The image is one binary for every x86-64 CPU, so
// it uses "lfence; rdtsc", which every x86-64 CPU runs (LFENCE is SSE2) and
// which orders the TSC read after every earlier load on Intel and on the AMD
// CPUs Linux runs with LFENCE made dispatch-serialising: the counter is never
// read before the seqcount it is checked against.
//
// cpu_node(): LSL of the per-CPU GDT entry, whose segment limit the kernel
// sets to (node << 12) | cpu on every CPU; the kernel's RDPID variant reads
// the same value from TSC_AUX.  Both give one snapshot: the task may migrate
// right after, as with the kernel's own getcpu.
#pragma once

#include <stdint.h>

#include "vdso_time_abi.h"

namespace vdsoforge::image {

[[gnu::always_inline]] inline uint64_t rdtsc_ordered() {
  uint32_t low, high;
  asm volatile("lfence\n\trdtsc" : "=a"(low), "=d"(high)::"memory");
  return (uint64_t{high} << 32) | low;
}

[[gnu::always_inline]] inline uint32_t cpu_node() {
  uint32_t value;
  asm volatile("lsl %[selector], %[value]"
               : [value] "=r"(value)
               : [selector] "r"(abi::kCpuNodeSelector));
  return value;
}

}  // namespace vdsoforge::image
