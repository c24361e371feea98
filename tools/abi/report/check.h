// The one check type: every verdict the tool reports (an `abi` comparison,
// a layout check, a consumer's prediction, a `check` rule) is a Check, and
// one run of a command is a CheckRun.  The text, JSON, JUnit and SARIF
// renderings are all written from these.
//
// A command fills a CheckRun; junit_report.h and sarif_report.h turn it into
// a file.  Adding a check (or a new kind of check) means appending Checks;
// the writers need no change.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vdsoforge::tools::report {

struct Check {
  std::string id;     // stable, dotted: "<group>.<item>[.<attribute>]", "symbols.getrandom.binding"
  std::string group;  // the family it belongs to: "symbols", "hash", "rules", "layout" ...
  std::string title;  // what is checked, in words
  bool pass = false;
  // False when the check could not be decided (a fact it needs, such as the
  // reference kernel's data layout, is unknown): `pass` is then false too,
  // and the check counts as neither passed nor failed.
  bool determined = true;
  // What a good image has: for `abi` the reference's value, for `check` the
  // rule's.
  std::string expected;
  std::string actual;  // what this image has
  std::string detail;  // why a failure matters; empty when it passed
};

// Decided and failed / not decided, among `checks`.
size_t count_failed(const std::vector<Check>& checks);
size_t count_undetermined(const std::vector<Check>& checks);

struct CheckRun {
  std::string command;    // "abi", "check": names the suite and the SARIF rules' source
  std::string artifact;   // the image checked (a path)
  std::string reference;  // what it was compared with ("kernel", a path), or empty
  std::vector<Check> checks;
  // Set when the run could not check at all (an input was unreadable); the
  // reports then say so as an error instead of listing checks.
  std::string error;

  size_t failed() const { return count_failed(checks); }
  size_t undetermined() const { return count_undetermined(checks); }
};

}  // namespace vdsoforge::tools::report
