#include "kernel_time_source.h"

#include <sys/utsname.h>

#include <cstdio>
#include <cstring>

#include "time_base_shift.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge::detail {
namespace {

// Linux 6.15 and 6.16 end struct vdso_time_data right after the two clock
// records; 6.17 put the eight auxiliary clock records in between.
uint32_t generic_tail_offset() {
  utsname name{};
  unsigned major = 0, minor = 0;
  if (uname(&name) == 0 && std::sscanf(name.release, "%u.%u", &major, &minor) == 2 &&
      (major < 6 || (major == 6 && minor < 17)))
    return abi::kCsBases * sizeof(abi::VdsoClock);
  return layout::kGenericTimeLayout.tail_offset;
}

const abi::VdsoClock* record(const uint8_t* data, const layout::TimeLayout& layout,
                             unsigned index) {
  return reinterpret_cast<const abi::VdsoClock*>(data + index * layout.clock_stride);
}

}  // namespace

std::unique_ptr<KernelTimeSource> KernelTimeSource::create(Error& err) {
  auto kernel = find_kernel_vdso(err);
  if (!kernel) return nullptr;
  ElfError parse_error;
  auto elf = ElfImage::parse(kernel->bytes, ParseMode::inspect, parse_error);
  if (!elf) {
    err = {LoaderErrc::not_supported, "the kernel's vDSO does not parse: " + parse_error.message};
    return nullptr;
  }
  const DetectedLayout detected = detect_data_layout(*elf);
  if (!detected.profile) {
    err = {LoaderErrc::not_supported,
           "the kernel's data layout matches no profile, so its time data cannot be found (" +
               describe(detected) + ")"};
    return nullptr;
  }
  const layout::TimeLayout& time_layout = layout::time_layout_of(detected.profile);
  const auto* area =
      reinterpret_cast<const uint8_t*>(kernel->base) - detected.profile->data_area_size;
  const uint8_t* data = area + time_layout.time_data_offset;
  const uint32_t tail = time_layout.shape == layout::TimeDataShape::generic_time_data
                            ? generic_tail_offset()
                            : time_layout.tail_offset;
  const uint8_t* namespace_data = nullptr;
  if (__atomic_load_n(&record(data, time_layout, 0)->clock_mode, __ATOMIC_RELAXED) ==
      abi::kClockModeTimensMarker) {
    // The namespace's page sits where the clocks were; the kernel's own
    // data moved to the timens slot, at the same offset in its page.
    namespace_data = data;
    data = area + layout::timens_time_data_offset(time_layout);
    if (__atomic_load_n(&record(data, time_layout, 0)->clock_mode, __ATOMIC_RELAXED) ==
        abi::kClockModeTimensMarker) {
      err = {LoaderErrc::not_supported,
             "this process runs in a time namespace, and the kernel's timens slot holds no clock "
             "data either: its time data cannot be found"};
      return nullptr;
    }
  }
  auto source = std::unique_ptr<KernelTimeSource>(
      new KernelTimeSource(data, namespace_data, time_layout, tail));
  if (namespace_data) {
    // The kernel writes the same offsets into both records.
    const abi::VdsoClock* first = record(namespace_data, time_layout, 0);
    for (unsigned clock = 0; clock < abi::kVdsoBases; ++clock)
      source->offsets_[clock] = {__atomic_load_n(&first->offset[clock].sec, __ATOMIC_RELAXED),
                                 __atomic_load_n(&first->offset[clock].nsec, __ATOMIC_RELAXED)};
  }
  return source;
}

// The kernel bumps both records' seq around every update; the copy is
// retried until the first record's seq is even and unchanged across it.
TimeSnapshot KernelTimeSource::read() const {
  TimeSnapshot copy{};
  const abi::VdsoClock* first = record(time_data_, layout_, 0);
  for (;;) {
    const uint32_t seq = __atomic_load_n(&first->seq, __ATOMIC_ACQUIRE);
    if (seq & 1) {
      __builtin_ia32_pause();
      continue;
    }
    for (unsigned i = 0; i < abi::kCsBases; ++i)
      std::memcpy(&copy.clocks[i], record(time_data_, layout_, i), sizeof(abi::VdsoClock));
    std::memcpy(&copy.tail, time_data_ + tail_offset_, sizeof copy.tail);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&first->seq, __ATOMIC_RELAXED) == seq) break;
  }
  if (namespace_data_) add_namespace_offsets(copy);
  return copy;
}

// The kernel's vDSO adds a namespace's offset after computing the host's
// clock; adding it to the stored base instead gives the same reading with
// no namespace page at all, so the copy serves a program mapped the plain
// way (as `vdsoforge exec` maps it) the clocks the kernel shows it.  The
// hres bases keep shifted nanoseconds, the coarse ones plain; MONOTONIC_RAW
// is read from the second record.
void KernelTimeSource::add_namespace_offsets(TimeSnapshot& copy) const {
  const auto offset = [this](int clock) {
    return std::chrono::seconds(offsets_[clock].sec) +
           std::chrono::nanoseconds(offsets_[clock].nsec);
  };
  abi::VdsoClock& hres = copy.clocks[abi::kCsHresCoarse];
  abi::VdsoClock& raw = copy.clocks[abi::kCsRaw];
  for (int clock : {abi::kClockMonotonic, abi::kClockBoottime})
    shift_base(hres.basetime[clock], offset(clock), hres.shift);
  shift_base(hres.basetime[abi::kClockMonotonicCoarse], offset(abi::kClockMonotonicCoarse), 0);
  shift_base(raw.basetime[abi::kClockMonotonicRaw], offset(abi::kClockMonotonicRaw), raw.shift);
}

}  // namespace vdsoforge::detail
