// What a LoadedImage has mapped and where: the one thing that differs between
// an image this library mapped and the kernel's own vDSO.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "time_namespace_views.h"
#include "unique_mapping.h"
#include "vdsoforge/loader.h"

namespace vdsoforge::detail {

// Where the data area goes and what it holds, from the note or the code.
struct AreaLayout {
  uint64_t data_size = 0;
  uint64_t rng_offset = 0;
  const layout::Profile* profile = nullptr;
  std::optional<TimensIndirection> timens;  // the pre-6.15 indirection, if any
  // 6.15+ layouts with emulated time data: the time page and the timens page
  // a namespace swaps (the rng page stays put); none with `timens`.
  std::optional<TimensIndirection> time_namespace;

  // The pages an emulated time namespace swaps, if the layout has any.
  const std::optional<TimensIndirection>& namespace_pages() const {
    return timens ? timens : time_namespace;
  }
  // Bytes of the data memfd: the area, plus the namespace's page if needed.
  uint64_t memfd_size() const {
    return namespace_pages() ? TimeNamespaceViews::memfd_size(data_size) : data_size;
  }
};

struct ImageMapping {
  // The kernel's own vDSO: mapped by the kernel, never unmapped here, and no
  // data page of ours (its data belongs to the kernel).
  static std::unique_ptr<ImageMapping> kernel_vdso(uintptr_t base, size_t size,
                                                   uintptr_t data_base);

  ImageMapping() = default;
  ImageMapping(const ImageMapping&) = delete;
  ImageMapping& operator=(const ImageMapping&) = delete;
  // An image over another's data area stops showing in that area's
  // time-namespace views before its own memory goes.
  ~ImageMapping();

  uintptr_t image_base() const { return data_area_base + layout.data_size; }
  // An image sharing another's data area shares that area's page and memfd.
  DataPage* data_page() const { return owner ? owner->data_page() : page.get(); }
  int data_fd() const { return owner ? owner->data_fd() : data.get(); }
  // The views an image over this area must join (none without the indirection).
  TimeNamespaceViews* time_namespace_views() const;

  bool kernel = false;
  uintptr_t data_area_base = 0;
  size_t image_size = 0;
  AreaLayout layout;
  std::optional<Chacha20Routine> chacha20;
  size_t cpu_patches_applied = 0;  // sites of the cpu-patches note rewritten

  // Only for images mapped by this library; declared before `page` so the
  // page's worker is joined before the memory it writes is unmapped.
  UniqueMapping reservation;  // data area + image, one range
  UniqueMapping writable_view;
  UniqueFd data;
  std::unique_ptr<DataPage> page;  // nullptr for the kernel and for sharers
  ImageMapping* owner = nullptr;   // the mapping whose data area this one shares
};

}  // namespace vdsoforge::detail
