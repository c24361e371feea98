// Consumer verdicts in `vdsoforge abi --consumers` output: text for people,
// a "consumers" member for the JSON report (schema vdsoforge-abi/1, see
// docs/integration.md), and the --require-consumer decision.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "consumers/consumer_model.h"
#include "report/check.h"

namespace vdsoforge::tools::consumers {

std::string render_text(const std::vector<ConsumerVerdict>& verdicts);
nlohmann::json to_json(const std::vector<ConsumerVerdict>& verdicts);

// Consumer verdicts as checks for the JUnit and SARIF writers, group
// "consumers", one per consumer and symbol the image defines (or whose
// look-up crashes or goes astray): "consumers.glibc.__vdso_getrandom" passes
// when that consumer would call the image's function.
void append_checks(const std::vector<ConsumerVerdict>& verdicts, report::CheckRun& run);

// The ids of required consumers that would not use the image (empty: the
// requirement holds).
std::vector<std::string> unmet_requirements(const std::vector<ConsumerVerdict>& verdicts,
                                            const std::vector<std::string>& required);

}  // namespace vdsoforge::tools::consumers
