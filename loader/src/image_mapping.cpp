#include "image_mapping.h"

#include "loader_access.h"

namespace vdsoforge::detail {

ImageMapping::~ImageMapping() {
  if (owner == nullptr) return;
  if (TimeNamespaceViews* views = owner->time_namespace_views())
    views->remove_view(reservation.bytes());
}

TimeNamespaceViews* ImageMapping::time_namespace_views() const {
  return page ? LoaderAccess::emulation(*page).time_namespace_views() : nullptr;
}

}  // namespace vdsoforge::detail
