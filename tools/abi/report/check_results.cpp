#include "report/check_results.h"

#include <algorithm>

namespace vdsoforge::tools::report {

size_t CheckRun::failed() const {
  return static_cast<size_t>(std::count_if(
      checks.begin(), checks.end(), [](const CheckResult& c) { return c.determined && !c.pass; }));
}

size_t CheckRun::undetermined() const {
  return static_cast<size_t>(std::count_if(checks.begin(), checks.end(),
                                           [](const CheckResult& c) { return !c.determined; }));
}

}  // namespace vdsoforge::tools::report
