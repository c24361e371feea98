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
  // when its data layout is not one of the profiles.  In a time namespace
  // the kernel maps the namespace's page at the time data's slot and the
  // real data at the timens slot; the source then reads the real data there.
  static std::unique_ptr<KernelTimeSource> create(Error& err);

  // One copy taken under the kernel's seqcount, so every field is from the
  // same update: the clocks as the kernel's vDSO shows them to this process,
  // so in a time namespace with the namespace's offsets in the base times.
  TimeSnapshot read() const;

  bool in_time_namespace() const { return namespace_data_ != nullptr; }

 private:
  KernelTimeSource(const uint8_t* time_data, const uint8_t* namespace_data,
                   const layout::TimeLayout& layout, uint32_t tail_offset)
      : time_data_(time_data),
        namespace_data_(namespace_data),
        layout_(layout),
        tail_offset_(tail_offset) {}
  void add_namespace_offsets(TimeSnapshot& copy) const;

  const uint8_t* time_data_;
  const uint8_t* namespace_data_;  // nullptr outside a time namespace
  // The namespace's offsets per clock id, fixed once its first task
  // entered it (the kernel writes the page then and never again).
  abi::TimensOffset offsets_[abi::kVdsoBases] = {};
  const layout::TimeLayout& layout_;
  uint32_t tail_offset_;  // 6.15 and 6.16 had no aux clocks before the tail
};

}  // namespace vdsoforge::detail
