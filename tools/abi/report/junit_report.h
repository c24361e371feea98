// JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one
// <testsuite> per run, one <testcase> per check, a <failure> carrying both
// sides' values for each failed check, and a single <error> test case when
// the run could not check at all.  The structure is the one
// tests/tools/junit.xsd pins down (see docs/integration.md).
#pragma once

#include <string>

#include "report/check.h"

namespace vdsoforge::tools::report {

std::string to_junit(const CheckRun& run);

}  // namespace vdsoforge::tools::report
