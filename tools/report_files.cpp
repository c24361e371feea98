#include "report_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "junit_report.h"
#include "sarif_report.h"

namespace vdsoforge::tools::report {

namespace {

bool write_file(const std::string& path, const std::string& text, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int write_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    error = "cannot write " + path + ": " + std::strerror(written ? errno : write_errno);
    return false;
  }
  return true;
}

}  // namespace

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
  if (!junit.empty() && !write_file(junit, to_junit(run), error)) return false;
  // Names from a damaged image need not be UTF-8: U+FFFD stands for such bytes.
  const auto sarif_text = [&] {
    return to_sarif(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  if (!sarif.empty() && !write_file(sarif, sarif_text(), error)) return false;
  return true;
}

}  // namespace vdsoforge::tools::report
