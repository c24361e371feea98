// `vdsoforge abi --junit/--sarif`: the verdict as the run the JUnit and SARIF
// writers take (report/junit_report.h, report/sarif_report.h).  Every check
// keeps its id; the consumers' predictions follow as group "consumers".
#pragma once

#include "report/check.h"
#include "verdict/verdict.h"

namespace vdsoforge::tools::verdict {

// With a failure, a run that reports it as its error and lists no check.
report::CheckRun check_run(const Verdict& verdict);

}  // namespace vdsoforge::tools::verdict
