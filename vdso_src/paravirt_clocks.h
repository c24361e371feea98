// The counters of the paravirtual clock modes, read from the pages a
// hypervisor shares with the guest kernel (vdso_time_abi.h): what the
// kernel's x86 __arch_get_hw_counter returns for VDSO_CLOCKMODE_PVCLOCK and
// _HVCLOCK.  Each gives the record's "cycles" (nanoseconds for kvmclock,
// 100 ns units for Hyper-V) masked to 63 bits, or kNoCounter when the page
// says it cannot be used now, which sends the caller to the system call (a
// value, not an out-parameter, so the inline caller keeps its counter in a
// register).
#pragma once

#include <stdint.h>

#include "cpu_counters.h"
#include "data_access.h"
#include "vdso_time_abi.h"

namespace vdsoforge::image {

// Never a 63-bit counter value: the kernel's U64_MAX.
inline constexpr uint64_t kNoCounter = UINT64_MAX;

// tsc_shift is the hypervisor's (-31..31 in practice); the shift counts are
// masked so that no value can make the shift undefined.
[[gnu::always_inline]] inline uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift) {
  if (shift < 0)
    delta >>= static_cast<unsigned>(-shift) & 63;
  else
    delta <<= static_cast<unsigned>(shift) & 63;
  return static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * mul) >> 32);
}

// vCPU 0's entry, under its version (the kernel's pvclock_read_begin masks
// the low bit, so a write in progress fails the retry comparison).  An
// unstable TSC means each vCPU has its own view, which a task that may
// migrate cannot use: kNoCounter.
[[gnu::noinline, gnu::cold]] inline uint64_t read_pvclock(const abi::PvclockVcpuTimeInfo* pvti) {
  uint32_t version;
  uint64_t time;
  do {
    version = read_once(pvti->version) & ~1u;
    compiler_barrier();
    if (!(read_once(pvti->flags) & abi::kPvclockTscStableBit)) return kNoCounter;
    const uint64_t tsc = rdtsc_ordered();
    time = read_once(pvti->system_time) + pvclock_scale(tsc - read_once(pvti->tsc_timestamp),
                                                        read_once(pvti->tsc_to_system_mul),
                                                        read_once(pvti->tsc_shift));
    compiler_barrier();
  } while (read_once(pvti->version) != version);
  return time & INT64_MAX;
}

// The Hyper-V reference TSC page under its sequence; sequence 0: kNoCounter.
[[gnu::noinline, gnu::cold]] inline uint64_t read_hvclock(const abi::HvTscPage* page) {
  uint32_t sequence;
  uint64_t scale, tsc;
  int64_t offset;
  do {
    sequence = read_once(page->tsc_sequence);
    if (sequence == 0) return kNoCounter;
    compiler_barrier();
    scale = read_once(page->tsc_scale);
    offset = read_once(page->tsc_offset);
    tsc = rdtsc_ordered();
    compiler_barrier();
  } while (read_once(page->tsc_sequence) != sequence);
  const uint64_t scaled =
      static_cast<uint64_t>((static_cast<unsigned __int128>(tsc) * scale) >> 64);
  return (scaled + static_cast<uint64_t>(offset)) & INT64_MAX;
}

}  // namespace vdsoforge::image
