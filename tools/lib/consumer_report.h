// Consumer verdicts in `vdsoforge abi --consumers` output: text for people,
// a "consumers" member for the JSON report (schema vdsoforge-abi/1, see
// docs/integration.md), and the --require-consumer decision.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "consumer_model.h"

namespace vdsoforge::tools::consumers {

std::string render_text(const std::vector<ConsumerVerdict>& verdicts);
nlohmann::json to_json(const std::vector<ConsumerVerdict>& verdicts);

// The ids of required consumers that would not use the image (empty: the
// requirement holds).
std::vector<std::string> unmet_requirements(const std::vector<ConsumerVerdict>& verdicts,
                                            const std::vector<std::string>& required);

}  // namespace vdsoforge::tools::consumers
