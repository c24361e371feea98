// What the abi command tests share: the built image, the kernel-feature gate
// and JSON report look-ups.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "files.h"
#include "image_mutations.h"
#include "tool_runner.h"

namespace abi_test {

// Skips (exit 77) unless the running kernel's vDSO exports
// __vdso_getrandom@LINUX_2.6: without it there is nothing to compare with.
void require_kernel_getrandom();

// Writes the built image, broken by `mutate`, into `dir` and returns its path.
std::string broken_image(const test_support::TempDir& dir, const std::string& name,
                         const std::function<void(test_support::Bytes&)>& mutate);

// The check with this id in a parsed JSON report; throws if there is none.
const nlohmann::json& find_check(const nlohmann::json& report, const std::string& id);

// Ids of the failed checks of a parsed JSON report (decided and failed; an
// undetermined check is not among them).
std::vector<std::string> failed_ids(const nlohmann::json& report);

}  // namespace abi_test
