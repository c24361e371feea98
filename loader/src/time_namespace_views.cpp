#include "time_namespace_views.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "vdsoforge/layout_profiles.h"
#include "vdsoforge/vgetrandom_abi.h"

namespace vdsoforge::detail {
namespace {

Error remap(uint8_t* at, int prot, int fd, uint64_t offset, const char* what) {
  if (mmap(at, abi::kPageSize, prot, MAP_SHARED | MAP_FIXED, fd, static_cast<off_t>(offset)) ==
      MAP_FAILED)
    return {LoaderErrc::map_failed, std::string(what) + " failed: " + std::strerror(errno)};
  return {};
}

}  // namespace

TimeNamespaceViews::TimeNamespaceViews(int fd, uint64_t data_size, const TimensIndirection& layout,
                                       uint8_t* writable, bool shifts_rng)
    : fd_(fd), data_size_(data_size), layout_(layout), shifts_rng_(shifts_rng) {
  // The namespace's page is all zeros but its clock mode: its rng slot reads
  // as generation 0, not ready, as the kernel's namespace page does.
  const int32_t marker = layout::kClockModeTimens;
  std::memcpy(writable + data_size + (layout.clock_mode_offset - layout.vvar_page_offset), &marker,
              sizeof marker);
}

uint64_t TimeNamespaceViews::memfd_size(uint64_t data_size) { return data_size + abi::kPageSize; }

Error TimeNamespaceViews::apply(uint8_t* area, bool inside) const {
  uint8_t* vvar_slot = area + layout_.vvar_page_offset;
  uint8_t* timens_slot = area + layout_.timens_page_offset;
  // The order keeps the rng data reachable for a call already running: the
  // real vvar page appears at its new slot before it leaves its old one.
  if (inside) {
    if (Error e = remap(timens_slot, PROT_READ, fd_, layout_.vvar_page_offset,
                        "mapping the vvar page at the timens slot");
        e)
      return e;
    return remap(vvar_slot, PROT_READ, fd_, data_size_,
                 "mapping the namespace's page at the vvar slot");
  }
  if (Error e = remap(vvar_slot, PROT_READ, fd_, layout_.vvar_page_offset,
                      "mapping the vvar page at its slot");
      e)
    return e;
  // Outside a namespace the kernel faults on the timens page (SIGBUS); an
  // inaccessible page makes a stray read just as loud.
  return remap(timens_slot, PROT_NONE, fd_, layout_.timens_page_offset, "closing the timens slot");
}

Error TimeNamespaceViews::add_view(uint8_t* area) {
  std::lock_guard lock(mutex_);
  if (Error e = apply(area, inside_); e) return e;
  views_.push_back(area);
  return {};
}

void TimeNamespaceViews::remove_view(uint8_t* area) {
  std::lock_guard lock(mutex_);
  views_.erase(std::remove(views_.begin(), views_.end(), area), views_.end());
}

bool TimeNamespaceViews::inside() const {
  std::lock_guard lock(mutex_);
  return inside_;
}

Error TimeNamespaceViews::set_inside(bool inside) {
  std::lock_guard lock(mutex_);
  for (uint8_t* area : views_) {
    if (Error e = apply(area, inside); e) {
      // Back to one state for every view, so the image never sees a mix.
      for (uint8_t* view : views_) apply(view, inside_);
      return e;
    }
  }
  inside_ = inside;
  return {};
}

uint64_t TimeNamespaceViews::rng_shift() const {
  std::lock_guard lock(mutex_);
  return inside_ && shifts_rng_ ? layout_.timens_page_offset - layout_.vvar_page_offset : 0;
}

}  // namespace vdsoforge::detail
