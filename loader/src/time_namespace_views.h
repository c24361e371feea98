// The pre-6.15 time namespace, emulated by remapping pages.
//
// Kernels before 6.15 put vdso_rng_data in the vvar page; inside a time
// namespace they map the namespace's own page at the vvar slot (its first
// time-data entry's clock mode says VDSO_CLOCKMODE_TIMENS) and the real vvar
// page at the timens slot, and the vDSO follows that clock mode to its rng
// data.  Outside a namespace the timens slot faults.  This class does the
// same to every read-only view of one data memfd: the real pages stay where
// the loader writes them, only what the image sees at the two slots changes.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "vdsoforge/elf_image.h"
#include "vdsoforge/error.h"

namespace vdsoforge::detail {

class TimeNamespaceViews {
 public:
  // `fd` holds the data area (`data_size` bytes) and, right after it, one
  // page for the namespace's page; `writable` maps all of it read-write.
  // Writes the namespace page's clock-mode marker.
  // `shifts_rng`: the rng data lives in the swapped page (the pre-6.15
  // indirection); false for 6.15+ layouts, whose namespace swaps only the
  // time page and leaves the rng page in place.
  TimeNamespaceViews(int fd, uint64_t data_size, const TimensIndirection& layout, uint8_t* writable,
                     bool shifts_rng = true);

  // The memfd bytes the loader needs: the data area plus the namespace page.
  static uint64_t memfd_size(uint64_t data_size);

  // Adds a read-only view of the data area (mapped from offset 0 of the fd)
  // and brings it into the current state; removes one before it is unmapped.
  Error add_view(uint8_t* area);
  void remove_view(uint8_t* area);

  bool inside() const;
  Error set_inside(bool inside);
  // How far above its home slot the image reads its rng data now: the
  // timens page's distance from the vvar page inside, 0 outside.
  uint64_t rng_shift() const;

 private:
  Error apply(uint8_t* area, bool inside) const;

  const int fd_;
  const uint64_t data_size_;
  const TimensIndirection layout_;
  const bool shifts_rng_;
  mutable std::mutex mutex_;
  std::vector<uint8_t*> views_;
  bool inside_ = false;
};

}  // namespace vdsoforge::detail
