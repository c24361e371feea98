// Where a vDSO image's time functions read the kernel's time data, from
// their code.
//
// The companion of layout_detect.h (which reads __vdso_getrandom): this one
// decodes __vdso_time, __vdso_clock_gettime, __vdso_gettimeofday and
// __vdso_clock_getres, with the local functions they call, and follows
// every address below the image they may reach (data_address_flow.h).  From
// those accesses it derives, one fact at a time, what the code shows:
//
//   time_data     where clock record 0 lies: time() reads its
//                 basetime[CLOCK_REALTIME].sec (record + 40), and compares
//                 its clock mode (record + 4) with VDSO_CLOCKMODE_TIMENS;
//                 clock_gettime() must read the clock mode of that record
//                 and of its namespace copy, or the answer is a conflict
//   timens_page   the page the real record is read through inside a time
//                 namespace: time()'s other basetime address
//   record_stride 248 bytes (struct vdso_data, 6.11-6.14) or 232 (struct
//                 vdso_clock in struct vdso_time_data, 6.15+): where
//                 clock_gettime reads record 1's clock mode
//   tail          where clock_getres reads hrtimer_res (tail + 8), from
//                 record 0; more than one value when the code picks one at
//                 run time (gettimeofday's timezone reads there are only
//                 reported: it reads beyond record 0 for other reasons too)
//   pvclock_page, hvclock_page
//                 the page-aligned struct pvclock_vcpu_time_info (a byte
//                 read of its flags or tsc_shift) and struct
//                 ms_hyperv_tsc_page (u32 sequence, u64 scale and offset)
//
// A fact the code does not show is `not_determined`, with the reason;
// `absent` is a determined "the code never reads one".  Nothing guesses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vdsoforge/elf_image.h"

namespace vdsoforge {

struct TimeFact {
  enum class State { not_determined, absent, found };
  State state = State::not_determined;
  // found: one value, or several the code chooses between at run time
  // (ascending).  Distances below the image, or offsets from record 0.
  std::vector<uint64_t> values;
  std::string basis;  // how it was found, or why not

  bool determined() const { return state != State::not_determined; }
};

struct DetectedTimeLayout {
  // False when the image exports none of the four time functions; every
  // fact is then not determined.
  bool has_time_functions = false;
  TimeFact time_data;      // image base - clock record 0
  TimeFact timens_page;    // image base - that page; absent: no namespace check
  TimeFact record_stride;  // bytes from record 0 to record 1
  TimeFact tail;           // offsets of the tz/hrtimer_res tail from record 0
  TimeFact pvclock_page;   // image base - the page; absent: never read
  TimeFact hvclock_page;   // image base - the page; absent: never read
};

// Never throws; what cannot be read comes back not determined, with why.
DetectedTimeLayout detect_time_layout(const ElfImage& elf);

}  // namespace vdsoforge
