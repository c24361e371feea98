#include "vdsoforge/error.h"

namespace vdsoforge {

std::string_view errc_name(LoaderErrc code) {
  switch (code) {
    case LoaderErrc::map_failed:
      return "map_failed";
    case LoaderErrc::kernel_vdso_unavailable:
      return "kernel_vdso_unavailable";
    case LoaderErrc::not_supported:
      return "not_supported";
    case LoaderErrc::invalid_argument:
      return "invalid_argument";
  }
  return "unknown";
}

std::string_view errc_name(const ErrorCode& code) {
  return std::visit([](auto held) { return errc_name(held); }, code.code_);
}

}  // namespace vdsoforge
