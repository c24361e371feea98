// The result of `vdsoforge abi`: a flat list of checks, each with a stable id,
// a verdict and both sides' values, plus the reference's exports the image
// does not provide.  Rendered for people (text) or for CI (JSON, schema
// "vdsoforge-abi/1", documented in docs/integration.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "report/check_results.h"

namespace vdsoforge::tools::compat {

// Bump only when a field changes meaning or disappears; adding fields or
// check ids keeps the version.
inline constexpr const char* kJsonSchema = "vdsoforge-abi/1";

struct Check {
  std::string id;     // stable, dotted: "<group>.<item>[.<attribute>]"
  std::string group;  // identity, segments, dynamic, versions, symbols, notes, hash, rules, layout
  std::string title;  // what is checked, in words
  bool pass = false;
  // False when a fact the check needs is unknown (the reference kernel's data
  // layout, say): neither passed nor failed, and the verdict cannot be
  // COMPATIBLE.  `pass` is false then.
  bool determined = true;
  std::string image;      // the image's value
  std::string reference;  // the reference's value
  std::string detail;     // why it failed; empty when it passed
};

struct NotProvided {  // a reference export the image lacks (information, not a failure)
  std::string name, version, binding, type;
};

struct Input {
  std::string source;  // file path, or "kernel" for the running kernel's vDSO
  std::string description;
  uint64_t size = 0;
};

// INCOMPATIBLE as soon as one check fails; UNDETERMINED when none failed
// but one could not be decided; COMPATIBLE only when every check passed.
enum class Verdict { compatible, incompatible, undetermined };

struct Report {
  Input image, reference;
  std::vector<Check> checks;
  std::vector<NotProvided> not_provided;

  size_t failed() const;        // decided and failed
  size_t undetermined() const;  // not decided
  Verdict verdict() const;
  bool compatible() const { return verdict() == Verdict::compatible; }
};

std::string_view verdict_name(Verdict verdict);  // "compatible", "incompatible", "undetermined"

std::string render_text(const Report& report);
// The checks as the JUnit and SARIF writers take them (expected = the
// reference's value, actual = the image's).
report::CheckRun to_check_run(const Report& report);
nlohmann::json to_json(const Report& report);

// JSON for a run that could not read an input (exit status 2).
nlohmann::json error_json(const std::string& input, const std::string& code,
                          const std::string& message);

}  // namespace vdsoforge::tools::compat
