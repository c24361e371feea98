// The vDSO's time functions: clock_gettime, gettimeofday, time, clock_getres
// and getcpu, as the kernel's x86-64 vDSO computes them.
//
// Written against two explicit addresses, the time data at its own slot and
// the same structure's place in the timens slot, and a compile-time
// TimeLayout (time_layout.h), so one algorithm serves every kernel's data
// layout, in the image and in a host library for tests.  Every branch mirrors
// the kernel's lib/vdso/gettimeofday.c and x86 helpers; docs/abi.md ("Time
// functions") lists them in order.
//
// What goes to the system call, as in the kernel: an id the vDSO does not
// serve (CPU-time clocks, alarm clocks, dynamic clocks, invalid ids), a clock
// record whose mode is VDSO_CLOCKMODE_NONE or unknown, and the paravirtual
// modes (pvclock, Hyper-V TSC page) when their page says it cannot be used
// (paravirt_clocks.h) or the layout has no such page (an explicit area).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cpu_counters.h"
#include "data_access.h"
#include "paravirt_clocks.h"
#include "time_layout.h"
#include "time_syscalls.h"
#include "vdso_time_abi.h"

namespace vdsoforge::image {

// Nanoseconds above a second move into the seconds by subtraction: the value
// is at most a few seconds, and a division would cost more (the kernel's
// __iter_div_u64_rem).  The empty asm keeps the compiler from turning the
// loop back into a division.
[[gnu::always_inline]] inline uint64_t take_whole_seconds(uint64_t& ns) {
  uint64_t seconds = 0;
  while (ns >= abi::kNsecPerSec) {
    asm("" : "+r"(ns));
    ns -= abi::kNsecPerSec;
    ++seconds;
  }
  return seconds;
}

[[gnu::always_inline]] inline void set_timespec(abi::KernelTimespec* ts, uint64_t sec,
                                                uint64_t ns) {
  sec += take_whole_seconds(ns);
  ts->tv_sec = static_cast<int64_t>(sec);
  ts->tv_nsec = static_cast<int64_t>(ns);
}

// Nanoseconds (still shifted by nothing) at `cycles`, from a record and a
// shifted base: the x86 vdso_calc_ns.  Deltas above max_cycles are either a
// TSC read a little behind cycle_last on another CPU (the effective sign
// bit, bit 62, after the S64_MAX masking of the read), which counts as no
// time at all, or so large that delta * mult overflows 64 bits, which takes
// the 128-bit product.
[[gnu::always_inline]] inline uint64_t clock_ns(const abi::VdsoClock* vc, uint64_t cycles,
                                                uint64_t base) {
  const uint64_t delta = cycles - read_once(vc->cycle_last);
  const uint32_t mult = read_once(vc->mult);
  const uint32_t shift = read_once(vc->shift);
  if (delta > read_once(vc->max_cycles)) [[unlikely]] {
    if (delta & (uint64_t{1} << 62)) return base >> shift;
    const unsigned __int128 wide = static_cast<unsigned __int128>(delta & INT64_MAX) * mult + base;
    return static_cast<uint64_t>(wide >> shift);
  }
  return (delta * mult + base) >> shift;
}

// The seqcount's read side.  begin() waits out a write in progress (odd seq);
// retry() says whether one happened since.  On x86 loads are not reordered
// with loads, so the kernel's smp_rmb() is a compiler barrier.
[[gnu::always_inline]] inline uint32_t read_begin(const abi::VdsoClock* vc) {
  uint32_t seq;
  while ((seq = read_once(vc->seq)) & 1) asm volatile("pause");
  compiler_barrier();
  return seq;
}

[[gnu::always_inline]] inline bool read_retry(const abi::VdsoClock* vc, uint32_t seq) {
  compiler_barrier();
  return read_once(vc->seq) != seq;
}

// begin() for the entry points: a time namespace's page holds seq 1 (odd, so
// a plain reader would wait forever) and the TIMENS clock mode; true means
// "this is the namespace's page".
[[gnu::always_inline]] inline bool read_begin_or_timens(const abi::VdsoClock* vc, uint32_t& seq) {
  while ((seq = read_once(vc->seq)) & 1) {
    if (read_once(vc->clock_mode) == abi::kClockModeTimensMarker) return true;
    asm volatile("pause");
  }
  compiler_barrier();
  return false;
}

template <const layout::TimeLayout& kLayout>
class TimeFunctions {
 public:
  // `home`: the first clock record at the time data's own slot; `away`: the
  // same place in the timens slot (read only inside a time namespace).
  TimeFunctions(const uint8_t* home, const uint8_t* away) : home_(home), away_(away) {}

  [[gnu::always_inline]] int clock_gettime(int clock, abi::KernelTimespec* ts) const {
    if (serve_clock_gettime(clock, ts)) [[likely]]
      return 0;
    return static_cast<int>(clock_gettime_syscall(clock, ts));
  }

  [[gnu::always_inline]] int gettimeofday(abi::KernelTimeval* tv, abi::KernelTimezone* tz) const {
    if (tv) [[likely]] {
      abi::KernelTimespec ts;
      if (!do_hres(clock(home_, abi::kCsHresCoarse), abi::kClockRealtime, &ts)) [[unlikely]]
        return static_cast<int>(gettimeofday_syscall(tv, tz));
      tv->tv_sec = ts.tv_sec;
      tv->tv_usec = static_cast<uint32_t>(ts.tv_nsec) / abi::kNsecPerUsec;
    }
    if (tz) [[unlikely]] {
      const abi::VdsoTimeTail* t = tail(in_time_namespace() ? away_ : home_);
      tz->tz_minuteswest = read_once(t->tz_minuteswest);
      tz->tz_dsttime = read_once(t->tz_dsttime);
    }
    return 0;
  }

  // The realtime seconds as last stored: no counter read, no seqcount (one
  // aligned 64-bit load is whole on its own).
  [[gnu::always_inline]] long time(long* t) const {
    const uint8_t* data = in_time_namespace() ? away_ : home_;
    const long seconds = static_cast<long>(
        read_once(clock(data, abi::kCsHresCoarse)->basetime[abi::kClockRealtime].sec));
    if (t) *t = seconds;
    return seconds;
  }

  [[gnu::always_inline]] int clock_getres(int clock, abi::KernelTimespec* res) const {
    const uint32_t id = static_cast<uint32_t>(clock);
    uint64_t ns;
    if (id >= abi::kVdsoBases) [[unlikely]] {
      // The 6.17+ auxiliary clocks (generic layout): 1 ns, whether enabled
      // or not, as the kernel's aux_clock_resolution_ns(); any other id is
      // the system call's.
      if (id < kAuxFirst || id >= kAuxFirst + abi::kMaxAuxClocks ||
          !has_aux_clocks(in_time_namespace() ? away_ : home_))
        return static_cast<int>(clock_getres_syscall(clock, res));
      ns = 1;
    } else if (const uint32_t bit = 1u << id; bit & (abi::kHresClocks | abi::kRawClocks)) {
      ns = read_once(tail(in_time_namespace() ? away_ : home_)->hrtimer_res);
    } else if (bit & abi::kCoarseClocks) {
      ns = kLowResNsec;
    } else {
      return static_cast<int>(clock_getres_syscall(clock, res));
    }
    if (res) [[likely]] {
      res->tv_sec = 0;
      res->tv_nsec = static_cast<int64_t>(ns);
    }
    return 0;
  }

  // The resolution of the coarse clocks is one tick, TICK_NSEC, a constant
  // of the kernel's build (LOW_RES_NSEC): 4 ms at HZ=250, the x86 default
  // Debian and most distributions build with.
  static constexpr uint64_t kLowResNsec = 4'000'000;

 private:
  // One reading of a clock record's base time advanced to now; false sends
  // the caller to the system call (the kernel's vdso_get_timestamp with x86's
  // __arch_get_hw_counter).  The TSC is read inline; the paravirtual pages,
  // where the layout has them, out of line; any other mode falls back.
  // `area`: the data area's first byte, where the paravirtual pages are
  // found.
  [[gnu::always_inline]] static bool read_timestamp(const abi::VdsoClock* vc, const uint8_t* area,
                                                    unsigned base_index, uint64_t& sec,
                                                    uint64_t& ns) {
    const int32_t mode = read_once(vc->clock_mode);
    uint64_t cycles;
    if (mode == abi::kClockModeTsc) [[likely]] {
      cycles = rdtsc_ordered() & INT64_MAX;
    } else {
      cycles = read_paravirt_counter(mode, area);
      if (cycles == kNoCounter) return false;
    }
    const abi::VdsoTimestamp& base = vc->basetime[base_index];
    ns = clock_ns(vc, cycles, read_once(base.nsec));
    sec = read_once(base.sec);
    return true;
  }

  [[gnu::always_inline]] static uint64_t read_paravirt_counter(int32_t mode, const uint8_t* area) {
    if constexpr (kLayout.pvclock_page_offset != 0) {
      if (mode == abi::kClockModePvclock)
        return read_pvclock(
            reinterpret_cast<const abi::PvclockVcpuTimeInfo*>(area + kLayout.pvclock_page_offset));
    }
    if constexpr (kLayout.hvclock_page_offset != 0) {
      if (mode == abi::kClockModeHvclock)
        return read_hvclock(
            reinterpret_cast<const abi::HvTscPage*>(area + kLayout.hvclock_page_offset));
    }
    (void)mode;
    (void)area;
    return kNoCounter;
  }

  // The data area's first byte, from the time data at its own slot or at
  // the timens slot.
  static const uint8_t* area_from_home(const uint8_t* home) {
    return home - kLayout.time_data_offset;
  }
  static const uint8_t* area_from_away(const uint8_t* away) {
    return away - layout::timens_time_data_offset(kLayout);
  }

  static const abi::VdsoClock* clock(const uint8_t* data, unsigned index) {
    return reinterpret_cast<const abi::VdsoClock*>(data + index * kLayout.clock_stride);
  }
  // The timezone/resolution tail of the real data.  The generic shape has
  // two places for it (time_layout.h, short_tail_offset): 6.17+'s, unless
  // its hrtimer_res is 0, which only a 6.15/6.16 page shows there.
  static const abi::VdsoTimeTail* tail(const uint8_t* data) {
    const auto* t = reinterpret_cast<const abi::VdsoTimeTail*>(data + kLayout.tail_offset);
    if constexpr (kLayout.short_tail_offset != 0) {
      if (read_once(t->hrtimer_res) == 0) [[unlikely]]
        return reinterpret_cast<const abi::VdsoTimeTail*>(data + kLayout.short_tail_offset);
    }
    return t;
  }
  // Whether the real data has the 6.17+ auxiliary clock records: the generic
  // shape with its tail in the 6.17+ place.
  static bool has_aux_clocks(const uint8_t* data) {
    if constexpr (kLayout.shape != layout::TimeDataShape::generic_time_data) {
      (void)data;
      return false;
    } else {
      return read_once(reinterpret_cast<const abi::VdsoTimeTail*>(data + kLayout.tail_offset)
                           ->hrtimer_res) != 0;
    }
  }
  [[gnu::always_inline]] bool in_time_namespace() const {
    return read_once(clock(home_, abi::kCsHresCoarse)->clock_mode) == abi::kClockModeTimensMarker;
  }

  [[gnu::always_inline]] bool serve_clock_gettime(int clock_id, abi::KernelTimespec* ts) const {
    const uint32_t id = static_cast<uint32_t>(clock_id);
    if (id >= 32) [[unlikely]]
      return false;
    const uint32_t bit = 1u << id;
    if (bit & abi::kHresClocks) [[likely]]
      return do_hres(clock(home_, abi::kCsHresCoarse), id, ts);
    if (bit & abi::kCoarseClocks) return do_coarse(clock(home_, abi::kCsHresCoarse), id, ts);
    if (bit & abi::kRawClocks) return do_hres(clock(home_, abi::kCsRaw), id, ts);
    if (id >= kAuxFirst && id < kAuxFirst + abi::kMaxAuxClocks)
      return do_aux(home_, away_, id - kAuxFirst, ts);
    return false;
  }

  [[gnu::always_inline]] bool do_hres(const abi::VdsoClock* vc, uint32_t id,
                                      abi::KernelTimespec* ts) const {
    uint64_t sec, ns;
    uint32_t seq;
    do {
      if (read_begin_or_timens(vc, seq)) return do_hres_timens(vc, away_, id, ts);
      // Anything but the TSC leaves the inline loop whole (a tail call), so
      // the paravirtual reads' calls cost the TSC path no saved registers.
      if (read_once(vc->clock_mode) != abi::kClockModeTsc) [[unlikely]]
        return do_hres_other_mode(vc, area_from_home(home_), id, ts);
      const uint64_t cycles = rdtsc_ordered() & INT64_MAX;
      const abi::VdsoTimestamp& base = vc->basetime[id];
      ns = clock_ns(vc, cycles, read_once(base.nsec));
      sec = read_once(base.sec);
    } while (read_retry(vc, seq));
    set_timespec(ts, sec, ns);
    return true;
  }

  // The hres read in a mode other than TSC: the paravirtual pages, or the
  // system call (NONE, unknown modes, a page that says no).
  [[gnu::noinline, gnu::cold]] static bool do_hres_other_mode(const abi::VdsoClock* vc,
                                                              const uint8_t* area, uint32_t id,
                                                              abi::KernelTimespec* ts) {
    uint64_t sec, ns;
    uint32_t seq;
    do {
      seq = read_begin(vc);
      if (!read_timestamp(vc, area, id, sec, ns)) return false;
    } while (read_retry(vc, seq));
    set_timespec(ts, sec, ns);
    return true;
  }

  // Inside a time namespace: the real record, now at the timens slot, read
  // as usual, plus the namespace's offset for this clock from the record
  // the caller started at.
  [[gnu::noinline, gnu::cold]] static bool do_hres_timens(const abi::VdsoClock* namespace_record,
                                                          const uint8_t* away, uint32_t id,
                                                          abi::KernelTimespec* ts) {
    const abi::VdsoClock* vc =
        clock(away, id == abi::kClockMonotonicRaw ? abi::kCsRaw : abi::kCsHresCoarse);
    uint64_t sec, ns;
    uint32_t seq;
    do {
      seq = read_begin(vc);
      if (!read_timestamp(vc, area_from_away(away), id, sec, ns)) return false;
    } while (read_retry(vc, seq));
    const abi::TimensOffset& shift = namespace_record->offset[id];
    set_timespec(ts, sec + static_cast<uint64_t>(read_once(shift.sec)), ns + read_once(shift.nsec));
    return true;
  }

  // The coarse clocks are their stored base times, unshifted.  The first
  // attempt is inline and loop-free, so the common case (seq even and
  // unchanged) runs straight through with no taken branch: in a path of a
  // dozen instructions each taken branch costs a visible part of a
  // nanosecond (as a loop, this path measured 1.2-1.5x the kernel's).  A
  // write under way, a retry or the namespace's page go to the loop.
  [[gnu::always_inline]] bool do_coarse(const abi::VdsoClock* vc, uint32_t id,
                                        abi::KernelTimespec* ts) const {
    const abi::VdsoTimestamp& base = vc->basetime[id];
    const uint32_t seq = read_once(vc->seq);
    if (!(seq & 1)) [[likely]] {
      compiler_barrier();
      const uint64_t sec = read_once(base.sec);
      const uint64_t nsec = read_once(base.nsec);
      compiler_barrier();
      if (read_once(vc->seq) == seq) [[likely]] {
        ts->tv_sec = static_cast<int64_t>(sec);
        ts->tv_nsec = static_cast<int64_t>(nsec);
        return true;
      }
    }
    return do_coarse_contended(vc, away_, id, ts);
  }

  [[gnu::noinline, gnu::cold]] static bool do_coarse_contended(const abi::VdsoClock* vc,
                                                               const uint8_t* away, uint32_t id,
                                                               abi::KernelTimespec* ts) {
    const abi::VdsoTimestamp& base = vc->basetime[id];
    uint32_t seq;
    uint64_t sec, nsec;
    do {
      if (read_begin_or_timens(vc, seq)) return do_coarse_timens(vc, away, id, ts);
      sec = read_once(base.sec);
      nsec = read_once(base.nsec);
    } while (read_retry(vc, seq));
    ts->tv_sec = static_cast<int64_t>(sec);
    ts->tv_nsec = static_cast<int64_t>(nsec);
    return true;
  }

  [[gnu::noinline, gnu::cold]] static bool do_coarse_timens(const abi::VdsoClock* namespace_record,
                                                            const uint8_t* away, uint32_t id,
                                                            abi::KernelTimespec* ts) {
    const abi::VdsoClock* vc = clock(away, abi::kCsHresCoarse);
    const abi::VdsoTimestamp& base = vc->basetime[id];
    uint64_t sec, nsec;
    uint32_t seq;
    do {
      seq = read_begin(vc);
      sec = read_once(base.sec);
      nsec = read_once(base.nsec);
    } while (read_retry(vc, seq));
    const abi::TimensOffset& shift = namespace_record->offset[id];
    set_timespec(ts, sec + static_cast<uint64_t>(read_once(shift.sec)),
                 nsec + read_once(shift.nsec));
    return true;
  }

  // Linux 6.17+ auxiliary clocks (generic layout only): their own records
  // after the two main ones, base time 0; a disabled clock (mode NONE) and
  // every other layout go to the system call.
  [[gnu::noinline, gnu::cold]] static bool do_aux(const uint8_t* home, const uint8_t* away,
                                                  uint32_t index, abi::KernelTimespec* ts) {
    if constexpr (kLayout.shape != layout::TimeDataShape::generic_time_data) {
      (void)home;
      (void)away;
      (void)index;
      (void)ts;
      return false;
    } else {
      // 6.15/6.16 data has no auxiliary records (their place holds the tail
      // and zeros): the system call answers, as on those kernels.
      const bool namespace_page =
          read_once(clock(home, abi::kCsHresCoarse)->clock_mode) == abi::kClockModeTimensMarker;
      if (!has_aux_clocks(namespace_page ? away : home)) return false;
      const uint8_t* data = home;
      uint64_t sec, ns;
      uint32_t seq;
      for (;;) {
        const abi::VdsoClock* vc = aux_clock(data, index);
        if (read_begin_or_timens(vc, seq)) {
          if (data == away) return false;  // a namespace page in both slots: not the kernel's
          data = away;                     // the real record, through the timens slot
          continue;
        }
        if (read_once(vc->clock_mode) == abi::kClockModeNone) return false;
        if (!read_timestamp(vc, area_from_home(home), 0, sec, ns)) return false;
        if (!read_retry(vc, seq)) break;
      }
      set_timespec(ts, sec, ns);
      return true;
    }
  }

  static const abi::VdsoClock* aux_clock(const uint8_t* data, uint32_t index) {
    return reinterpret_cast<const abi::VdsoClock*>(
        data + offsetof(abi::VdsoTimeData, aux_clock_data) + index * sizeof(abi::VdsoClock));
  }

  static constexpr uint32_t kAuxFirst = 16;  // CLOCK_AUX

  const uint8_t* home_;
  const uint8_t* away_;
};

// getcpu(2) from the per-CPU value the kernel keeps (cpu_counters.h).  The
// third argument, the long-unused getcpu_cache, is ignored, as the kernel
// ignores it.
[[gnu::always_inline]] inline long getcpu(unsigned* cpu, unsigned* node) {
  const uint32_t value = cpu_node();
  if (cpu) *cpu = value & abi::kCpuNodeCpuMask;
  if (node) *node = value >> abi::kCpuNodeNodeShift;
  return 0;
}

}  // namespace vdsoforge::image
