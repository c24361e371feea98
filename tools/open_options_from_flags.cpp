#include "open_options_from_flags.h"

namespace vdsoforge::tools {

OpenOptions open_options_from_flags(const ImageFlags& flags) {
  OpenOptions options;
  if (flags.mode) options.mode = *flags.mode;
  options.chacha20 = *parse_chacha20_routine(flags.chacha);
  // A kernel vDSO saved by `dump` has no note: without --data-layout, its
  // code says where its data goes, as `dump` reports it.
  options.layout_from_code = true;
  options.data_layout = flags.data_layout;
  options.time_namespace = flags.time_namespace;
  options.accept_rule_violations = flags.allow_damaged;
  return options;
}

}  // namespace vdsoforge::tools
