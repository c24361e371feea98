// The running kernel's own time data, as this process's [vvar] pages hold
// it: where it lies (the kernel's vDSO code gives its data layout, the kernel
// release the shape of the tail), and a consistent copy of it.
#pragma once

#include <cstdint>
#include <memory>

#include "vdsoforge/emulated_time.h"
#include "vdsoforge/error.h"
#include "vdsoforge/time_layout.h"

namespace vdsoforge::detail {

class KernelTimeSource {
 public:
  // LoaderErrc::kernel_vdso_unavailable without a kernel vDSO; LoaderErrc::not_supported
  // when its data layout is not one of the profiles, or when this process
  // runs in a time namespace (its time page is then the namespace's).
  static std::unique_ptr<KernelTimeSource> create(Error& err);

  // One copy taken under the kernel's seqcount, so every field is from the
  // same update.
  TimeSnapshot read() const;

 private:
  KernelTimeSource(const uint8_t* time_data, const layout::TimeLayout& layout, uint32_t tail_offset)
      : time_data_(time_data), layout_(layout), tail_offset_(tail_offset) {}

  const uint8_t* time_data_;
  const layout::TimeLayout& layout_;
  uint32_t tail_offset_;  // 6.15 and 6.16 had no aux clocks before the tail
};

}  // namespace vdsoforge::detail
