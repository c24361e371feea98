// `vdsoforge dump` writes the kernel's vDSO exactly as this process sees it
// mapped, and reports the data pages where /proc/self/maps shows them.
#include <sys/auxv.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "abi_fixtures.h"
#include "skip.h"
#include "vdsoforge/kernel_vdso.h"

using namespace abi_test;
using namespace test_support;

namespace {

vdsoforge::KernelVdso own_vdso() {
  vdsoforge::Error err;
  auto vdso = vdsoforge::find_kernel_vdso(err);
  if (!vdso) vdsoforge_skip(("no kernel vDSO: " + err.message).c_str());
  return *vdso;
}

std::string relative(uintptr_t address, uintptr_t base) {
  char buffer[40];
  if (address >= base) {
    std::snprintf(buffer, sizeof buffer, "+0x%lx", static_cast<unsigned long>(address - base));
  } else {
    std::snprintf(buffer, sizeof buffer, "-0x%lx", static_cast<unsigned long>(base - address));
  }
  return buffer;
}

}  // namespace

TEST_CASE("dump writes the kernel vDSO byte for byte as mapped") {
  const auto vdso = own_vdso();
  TempDir dir;
  const auto path = dir.path("vdso.so");
  const ToolResult result = run_tool({"dump", "-o", path.string()});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const Bytes dumped = read_file(path);
  // The kernel maps one vDSO for every process, so the child's copy must
  // equal the one mapped in this process, to the last byte of the mapping.
  const auto* mapped = reinterpret_cast<const uint8_t*>(getauxval(AT_SYSINFO_EHDR));
  REQUIRE(dumped.size() == vdso.bytes.size());
  CHECK(std::memcmp(dumped.data(), mapped, dumped.size()) == 0);
  CHECK(dumped.size() % 4096 == 0);
  CHECK(result.out.find(std::to_string(dumped.size()) + " bytes") != std::string::npos);
}

TEST_CASE("dump reports the data pages relative to the vDSO base") {
  const auto vdso = own_vdso();
  TempDir dir;
  const ToolResult result = run_tool({"dump", "-o", dir.path("vdso.so").string()});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  bool saw_data_page = false;
  for (const auto& mapping : vdso.mappings) {
    if (mapping.name.rfind("[vvar", 0) != 0) continue;
    saw_data_page = true;
    // Address randomisation moves the base, not the layout around it.
    const std::string range =
        relative(mapping.start, vdso.base) + " .. " + relative(mapping.end, vdso.base);
    CHECK(result.out.find(mapping.name) != std::string::npos);
    CHECK(result.out.find(range) != std::string::npos);
  }
  if (!saw_data_page) vdsoforge_skip("this kernel shows no [vvar] mapping");
  CHECK(result.out.find("__vdso_") != std::string::npos);  // exports are listed
  CHECK(result.out.find("PT_LOAD") != std::string::npos);
}

TEST_CASE("dump exits 2 when it cannot write the output") {
  const ToolResult result = run_tool({"dump", "-o", "/nonexistent/dir/vdso.so"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("cannot create /nonexistent/dir/vdso.so") != std::string::npos);
}

TEST_CASE("dump requires -o") { CHECK(run_tool({"dump"}).exit_code == 2); }
