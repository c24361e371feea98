#include "verdict/verdict_reports.h"

#include "consumers/consumer_report.h"

namespace vdsoforge::tools::verdict {

report::CheckRun check_run(const Verdict& verdict) {
  report::CheckRun run{
      .command = "abi", .artifact = verdict.image.source, .reference = verdict.reference.source};
  if (verdict.failure) {
    run.error = verdict.failure->text;
    return run;
  }
  run.checks = verdict.checks;
  if (verdict.consumers) consumers::append_checks(*verdict.consumers, run);
  return run;
}

}  // namespace vdsoforge::tools::verdict
