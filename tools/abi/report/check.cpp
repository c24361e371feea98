#include "report/check.h"

#include <algorithm>

namespace vdsoforge::tools::report {

size_t count_failed(const std::vector<Check>& checks) {
  return static_cast<size_t>(std::count_if(checks.begin(), checks.end(),
                                           [](const Check& c) { return c.determined && !c.pass; }));
}

size_t count_undetermined(const std::vector<Check>& checks) {
  return static_cast<size_t>(
      std::count_if(checks.begin(), checks.end(), [](const Check& c) { return !c.determined; }));
}

}  // namespace vdsoforge::tools::report
