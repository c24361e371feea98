// The time half of the x86-64 vDSO ABI, shared by the image, the loader and
// the tests.
//
// The structures are the kernel's time data as its vDSO reads it; each field
// is pinned to its offset below, because the loader mirrors the running
// kernel's pages into them and the image reads them where the kernel would.
// Two generations of the same clock record exist (docs/abi.md, "Time data"):
//
//  - Linux 6.11-6.14: an array of two `struct vdso_data`, each a clock record
//    followed by the timezone and the hrtimer resolution (VdsoDataLegacy);
//  - Linux 6.15+: one `struct vdso_time_data` whose two clock records
//    (`struct vdso_clock`) are followed, since 6.17, by eight auxiliary clock
//    records and then the timezone and resolution (VdsoTimeData).
//
// The header is freestanding (no libc) because the image is compiled against
// it too.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vdsoforge::abi {

// Clock ids (include/uapi/linux/time.h).
inline constexpr int kClockRealtime = 0;
inline constexpr int kClockMonotonic = 1;
inline constexpr int kClockProcessCputime = 2;
inline constexpr int kClockThreadCputime = 3;
inline constexpr int kClockMonotonicRaw = 4;
inline constexpr int kClockRealtimeCoarse = 5;
inline constexpr int kClockMonotonicCoarse = 6;
inline constexpr int kClockBoottime = 7;
inline constexpr int kClockRealtimeAlarm = 8;
inline constexpr int kClockBoottimeAlarm = 9;
inline constexpr int kClockTai = 11;
// One base time per clock id up to CLOCK_TAI (VDSO_BASES).
inline constexpr unsigned kVdsoBases = kClockTai + 1;

// Which clock ids the vDSO serves from which record (VDSO_HRES, VDSO_COARSE,
// VDSO_RAW); every other id goes to the system call.
inline constexpr uint32_t kHresClocks =
    (1u << kClockRealtime) | (1u << kClockMonotonic) | (1u << kClockBoottime) | (1u << kClockTai);
inline constexpr uint32_t kCoarseClocks =
    (1u << kClockRealtimeCoarse) | (1u << kClockMonotonicCoarse);
inline constexpr uint32_t kRawClocks = 1u << kClockMonotonicRaw;

// The two clock records: [0] for the hres and coarse clocks, [1] for
// CLOCK_MONOTONIC_RAW (CS_HRES_COARSE, CS_RAW).
inline constexpr unsigned kCsHresCoarse = 0;
inline constexpr unsigned kCsRaw = 1;
inline constexpr unsigned kCsBases = 2;
// Linux 6.17+: auxiliary clocks (CLOCK_AUX .. CLOCK_AUX_LAST, MAX_AUX_CLOCKS).
inline constexpr unsigned kMaxAuxClocks = 8;

// Clock modes (include/vdso/clocksource.h, arch/x86/include/asm/vdso/clocksource.h).
inline constexpr int32_t kClockModeNone = 0;
inline constexpr int32_t kClockModeTsc = 1;
inline constexpr int32_t kClockModePvclock = 2;
inline constexpr int32_t kClockModeHvclock = 3;
inline constexpr int32_t kClockModeTimensMarker = 0x7fffffff;  // VDSO_CLOCKMODE_TIMENS

inline constexpr uint64_t kNsecPerSec = 1'000'000'000;
inline constexpr uint64_t kNsecPerUsec = 1'000;

// One clock's base time.  For the hres clocks nsec is shifted left by the
// record's shift (the fraction of the last tick stays in the low bits); the
// coarse clocks hold plain nanoseconds.
struct VdsoTimestamp {
  uint64_t sec;
  uint64_t nsec;
};

// What a time namespace adds to a clock (struct timens_offset); the
// namespace's own page holds these where the real page holds base times.
struct TimensOffset {
  int64_t sec;
  uint64_t nsec;
};

// One clock record (struct vdso_clock since 6.15, the head of struct
// vdso_data before): x86 selects GENERIC_VDSO_OVERFLOW_PROTECT, so
// max_cycles is always there.
struct VdsoClock {
  uint32_t seq;        // odd while the kernel writes
  int32_t clock_mode;  // kClockMode*
  uint64_t cycle_last;
  uint64_t max_cycles;  // larger deltas take the overflow-safe path
  uint64_t mask;
  uint32_t mult;
  uint32_t shift;
  union {
    VdsoTimestamp basetime[kVdsoBases];
    TimensOffset offset[kVdsoBases];  // in a time namespace's page
  };
};
static_assert(offsetof(VdsoClock, clock_mode) == 4);
static_assert(offsetof(VdsoClock, cycle_last) == 8);
static_assert(offsetof(VdsoClock, max_cycles) == 16);
static_assert(offsetof(VdsoClock, mask) == 24);
static_assert(offsetof(VdsoClock, mult) == 32);
static_assert(offsetof(VdsoClock, shift) == 36);
static_assert(offsetof(VdsoClock, basetime) == 40);
static_assert(sizeof(VdsoClock) == 232);

// The fields after the clock records.
struct VdsoTimeTail {
  int32_t tz_minuteswest;
  int32_t tz_dsttime;
  uint32_t hrtimer_res;  // what clock_getres() reports for the hres clocks
  uint32_t unused;
};
static_assert(sizeof(VdsoTimeTail) == 16);

// Linux 6.11-6.14: struct vdso_data (x86 has no arch data); the kernel keeps
// an array of kCsBases of them, and only element [0]'s tail is read.
struct VdsoDataLegacy {
  VdsoClock clock;
  VdsoTimeTail tail;
};
static_assert(sizeof(VdsoDataLegacy) == 248);

// Linux 6.15 and 6.16: struct vdso_time_data, the two records and the tail
// (x86 has no arch time data, so arch_data before them is empty).
struct VdsoTimeData615 {
  VdsoClock clock_data[kCsBases];
  VdsoTimeTail tail;
};
static_assert(offsetof(VdsoTimeData615, tail) == 464);

// Linux 6.17+: struct vdso_time_data, with the eight auxiliary clock records
// between the two main ones and the tail.
struct VdsoTimeData {
  VdsoClock clock_data[kCsBases];
  VdsoClock aux_clock_data[kMaxAuxClocks];
  VdsoTimeTail tail;
};
static_assert(offsetof(VdsoTimeData, aux_clock_data) == 464);
static_assert(offsetof(VdsoTimeData, tail) == 2320);

// The paravirtual clock pages the kernel maps beside its time data (the
// profiles place them, time_layout.h).  A record in VDSO_CLOCKMODE_PVCLOCK or
// _HVCLOCK counts in what these pages give instead of raw TSC cycles.
//
// kvmclock / Xen: struct pvclock_vcpu_time_info (arch/x86/include/asm/
// pvclock-abi.h, packed, 32 bytes), the first of the per-vCPU array, each
// entry cache-line aligned; the vDSO reads vCPU 0's alone, and only while
// PVCLOCK_TSC_STABLE_BIT says every vCPU's entry and TSC agree.  Its time
// is system_time + ((tsc - tsc_timestamp) << tsc_shift (>> when negative))
// * tsc_to_system_mul >> 32, under `version` (odd while the host writes).
struct PvclockVcpuTimeInfo {
  uint32_t version;
  uint32_t pad0;
  uint64_t tsc_timestamp;
  uint64_t system_time;
  uint32_t tsc_to_system_mul;
  int8_t tsc_shift;
  uint8_t flags;
  uint8_t pad[2];
};
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_timestamp) == 8);
static_assert(offsetof(PvclockVcpuTimeInfo, system_time) == 16);
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_to_system_mul) == 24);
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_shift) == 28);
static_assert(offsetof(PvclockVcpuTimeInfo, flags) == 29);
static_assert(sizeof(PvclockVcpuTimeInfo) == 32);
inline constexpr uint8_t kPvclockTscStableBit = 1 << 0;

// Hyper-V: struct ms_hyperv_tsc_page (include/asm-generic/hyperv-tlfs.h,
// packed): reference time = (tsc * tsc_scale >> 64) + tsc_offset, under
// tsc_sequence, where 0 means "not valid now, use something else".
struct HvTscPage {
  uint32_t tsc_sequence;
  uint32_t reserved1;
  uint64_t tsc_scale;
  int64_t tsc_offset;
};
static_assert(offsetof(HvTscPage, tsc_scale) == 8);
static_assert(offsetof(HvTscPage, tsc_offset) == 16);
static_assert(sizeof(HvTscPage) == 24);

// The kernel's types of the calls' arguments (x86-64).
struct KernelTimespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
struct KernelTimeval {
  int64_t tv_sec;
  int64_t tv_usec;
};
struct KernelTimezone {
  int32_t tz_minuteswest;
  int32_t tz_dsttime;
};

// x86-64 system call numbers of the calls the time functions fall back to.
inline constexpr long kSysGettimeofday = 96;
inline constexpr long kSysTime = 201;
inline constexpr long kSysClockGettime = 228;
inline constexpr long kSysClockGetres = 229;
inline constexpr long kSysGetcpu = 309;

// getcpu: the selector of the per-CPU GDT entry whose limit is
// (node << 12) | cpu (GDT_ENTRY_CPUNODE = 15, RPL 3), and the same value's
// layout as RDPID reads it from TSC_AUX.
inline constexpr uint32_t kCpuNodeSelector = 15 * 8 + 3;
inline constexpr uint32_t kCpuNodeCpuMask = 0xfff;
inline constexpr unsigned kCpuNodeNodeShift = 12;

}  // namespace vdsoforge::abi
