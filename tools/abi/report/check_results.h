// The data model every CI report format is written from: one run of a
// command (abi or check) on one image, as a flat list of named checks, each
// passed or failed with what was expected and what the image has.
//
// A command fills a CheckRun; junit_report.h and sarif_report.h turn it into
// a file.  Adding a check (or a new kind of check, e.g. consumers) means
// appending CheckResults; the writers need no change.
#pragma once

#include <string>
#include <vector>

namespace vdsoforge::tools::report {

struct CheckResult {
  std::string name;   // stable id, dotted: "symbols.getrandom.binding"
  std::string group;  // the family it belongs to: "symbols", "hash", "rules" ...
  std::string title;  // what is checked, in words
  bool pass = false;
  // False when the check could not be decided (an input's fact is unknown);
  // `pass` is then false too, and the check counts as neither passed nor failed.
  bool determined = true;
  std::string expected;  // what a compatible image has (the reference's value, or the rule)
  std::string actual;    // what this image has
  std::string detail;    // why a failure matters; empty when it passed
};

struct CheckRun {
  std::string command;    // "abi", "check": names the suite and the SARIF rules' source
  std::string artifact;   // the image checked (a path)
  std::string reference;  // what it was compared with ("kernel", a path), or empty
  std::vector<CheckResult> checks;
  // Set when the run could not check at all (an input was unreadable); the
  // reports then say so as an error instead of listing checks.
  std::string error;

  size_t failed() const;        // decided and failed
  size_t undetermined() const;  // could not be decided
};

}  // namespace vdsoforge::tools::report
