#include "abi_fixtures.h"

#include <stdexcept>

#include "skip.h"
#include "vdsoforge/elf_image.h"
#include "vdsoforge/kernel_vdso.h"

namespace abi_test {

void require_kernel_getrandom() {
  vdsoforge::ElfError parse_err;
  vdsoforge::Error err;
  const auto vdso = vdsoforge::find_kernel_vdso(err);
  if (!vdso) vdsoforge_skip(("no kernel vDSO: " + err.message).c_str());
  const auto elf =
      vdsoforge::ElfImage::parse(vdso->bytes, vdsoforge::ParseMode::inspect, parse_err);
  if (!elf) throw std::runtime_error("the kernel's vDSO does not parse: " + parse_err.message);
  if (elf->lookup("__vdso_getrandom", "LINUX_2.6") == nullptr) {
    vdsoforge_skip("the running kernel's vDSO has no __vdso_getrandom (Linux < 6.11)");
  }
}

std::string broken_image(const test_support::TempDir& dir, const std::string& name,
                         const std::function<void(test_support::Bytes&)>& mutate) {
  test_support::Bytes bytes = test_support::read_file(VDSOFORGE_TEST_IMAGE);
  mutate(bytes);
  const auto path = dir.path(name);
  test_support::write_file(path, bytes);
  return path.string();
}

const nlohmann::json& find_check(const nlohmann::json& report, const std::string& id) {
  for (const auto& check : report.at("checks")) {
    if (check.at("id") == id) return check;
  }
  throw std::runtime_error("the report has no check " + id);
}

std::vector<std::string> failed_ids(const nlohmann::json& report) {
  std::vector<std::string> ids;
  for (const auto& check : report.at("checks")) {
    if (check.at("outcome") == "fail") ids.push_back(check.at("id").get<std::string>());
  }
  return ids;
}

}  // namespace abi_test
