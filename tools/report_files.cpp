#include "report_files.h"

#include "output_file.h"
#include "report/junit_report.h"
#include "report/sarif_report.h"

namespace vdsoforge::tools::report {

void ReportFiles::add_options(CLI::App& sub) {
  sub.add_option("--junit", junit,
                 "also write a JUnit XML report to FILE: one testcase per check (see "
                 "docs/integration.md)")
      ->type_name("FILE");
  sub.add_option("--sarif", sarif,
                 "also write a SARIF 2.1.0 report to FILE: one result per failed check")
      ->type_name("FILE");
}

bool ReportFiles::write(const CheckRun& run, std::string& error) const {
  if (!junit.empty() && !write_output_file(junit, to_junit(run), error)) return false;
  // Names from a damaged image need not be UTF-8: U+FFFD stands for such bytes.
  const auto sarif_text = [&] {
    return to_sarif(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  if (!sarif.empty() && !write_output_file(sarif, sarif_text(), error)) return false;
  return true;
}

}  // namespace vdsoforge::tools::report
