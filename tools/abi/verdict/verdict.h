// What `vdsoforge abi` concludes about an image: the one result every
// rendering (text, JSON schema vdsoforge-abi/1, JUnit, SARIF) is written
// from.  evaluate.h makes it; verdict_text.h, verdict_json.h and
// verdict_reports.h render it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compat/compat_checks.h"
#include "compat/layout_checks.h"
#include "compat/time_layout_checks.h"
#include "consumers/consumer_model.h"
#include "report/check.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/layout_detect.h"

namespace vdsoforge::tools::verdict {

// What a report says about one input.
struct InputInfo {
  std::string source;  // the file's path, or "kernel" for the running kernel's vDSO
  bool running_kernel = false;
  std::string description;  // "PATH (N bytes)", "the running kernel's vDSO (N bytes as mapped)"
  uint64_t size = 0;
};

// One side of the comparison, as the caller loaded it: parsed in
// ParseMode::inspect (so broken rules are listed, not fatal), or the reason
// it could not be read.
struct Input {
  InputInfo info;
  std::optional<ElfImage> elf;
  // Set when elf is empty: the code, and the message naming the input once.
  std::string error_code, error_message;
};

struct Options {
  // The reference kernel's data layout, named by the user
  // (--reference-profile); nullptr: found from the reference's code.
  const layout::Profile* reference_profile = nullptr;
  bool consumers = false;                       // predict what each consumer would do
  std::vector<std::string> required_consumers;  // ids; implies the predictions
};

// INCOMPATIBLE as soon as one check fails; UNDETERMINED when none failed
// but one could not be decided; COMPATIBLE only when every check passed.
enum class Compatibility { compatible, incompatible, undetermined };
std::string_view compatibility_name(Compatibility compatibility);  // "compatible", ...

// One side's data layout: what its code shows, its own note, and what the
// layout.* checks judged it by.
struct SideLayout {
  DetectedLayout code;
  std::optional<DataLayout> note;
  compat::LayoutSide judged;
  // The time data: each fact as the time layout checks judged it (from the
  // code, else the note or --reference-profile).
  compat::TimeSide time;
};

// Why nothing was checked (exit status 2).
struct Failure {
  std::string input;    // "image" or "reference"
  std::string code;     // errc name, not_a_vdso, profile_contradicted
  std::string message;  // the culprit named once (the JSON report's message)
  std::string text;     // the whole line for people and CI reports: which input, message, code
};

struct Verdict {
  InputInfo image, reference;
  std::optional<Failure> failure;  // set: every member below is empty

  std::vector<report::Check> checks;  // the comparison's, then layout.*
  std::vector<compat::NotProvided> not_provided;
  SideLayout image_layout, reference_layout;
  // Set when the options asked for the consumers' predictions.
  std::optional<std::vector<consumers::ConsumerVerdict>> consumers;
  std::vector<std::string> required_consumers, unmet_consumers;  // ids

  size_t failed() const { return report::count_failed(checks); }
  size_t undetermined() const { return report::count_undetermined(checks); }
  Compatibility compatibility() const;
};

// 0 compatible, 1 incompatible, 2 nothing checked, 3 undetermined; with
// required consumers, 0 when every one would use the image, else 1.
int exit_status(const Verdict& verdict);

}  // namespace vdsoforge::tools::verdict
