#include "kernel_time_source.h"

#include <sys/utsname.h>

#include <cstdio>
#include <cstring>

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
  return std::unique_ptr<KernelTimeSource>(
      new KernelTimeSource(data, namespace_data, time_layout, tail));
}

std::array<abi::TimensOffset, abi::kVdsoBases> KernelTimeSource::namespace_offsets() const {
  std::array<abi::TimensOffset, abi::kVdsoBases> offsets{};
  if (!namespace_data_) return offsets;
  // The kernel writes the same offsets into both records.
  const abi::VdsoClock* first = record(namespace_data_, layout_, 0);
  for (unsigned clock = 0; clock < abi::kVdsoBases; ++clock) {
    offsets[clock].sec = __atomic_load_n(&first->offset[clock].sec, __ATOMIC_RELAXED);
    offsets[clock].nsec = __atomic_load_n(&first->offset[clock].nsec, __ATOMIC_RELAXED);
  }
  return offsets;
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
    if (__atomic_load_n(&first->seq, __ATOMIC_RELAXED) == seq) return copy;
  }
}

}  // namespace vdsoforge::detail
