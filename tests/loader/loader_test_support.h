// Helpers shared by the loader tests: an independent reader of
// /proc/self/maps and smaps (the tests must not trust the loader's own), and
// short ways to open the built image and the kernel vDSO.
#pragma once

#include <sys/auxv.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "files.h"
#include "skip.h"
#include "vdsoforge/loader.h"
#include "vdsoforge/thread_getrandom.h"
#include "vdsoforge/vgetrandom_alloc.h"

namespace loader_test {

struct Mapping {
  uintptr_t start = 0, end = 0;
  std::string perms, name;
  bool contains(uintptr_t address) const { return start <= address && address < end; }
};

inline std::vector<Mapping> own_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::vector<Mapping> result;
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, offset, device, inode;
    Mapping mapping;
    fields >> range >> mapping.perms >> offset >> device >> inode;
    const auto dash = range.find('-');
    mapping.start = std::stoull(range.substr(0, dash), nullptr, 16);
    mapping.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    std::getline(fields >> std::ws, mapping.name);
    result.push_back(mapping);
  }
  return result;
}

inline std::optional<Mapping> mapping_at(uintptr_t address) {
  for (const auto& mapping : own_mappings())
    if (mapping.contains(address)) return mapping;
  return std::nullopt;
}

inline std::optional<Mapping> mapping_at(const void* address) {
  return mapping_at(reinterpret_cast<uintptr_t>(address));
}

// The VmFlags tokens smaps lists for the mapping holding `address`.
inline std::set<std::string> vm_flags_at(const void* address) {
  const auto wanted = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {  // a mapping header line, not a "Key: value" line
      const uintptr_t start = std::stoull(line.substr(0, dash), nullptr, 16);
      const uintptr_t end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      inside = start <= wanted && wanted < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      std::istringstream tokens(line.substr(8));
      return {std::istream_iterator<std::string>(tokens), std::istream_iterator<std::string>()};
    }
  }
  return {};
}

inline vdsoforge::OpenOptions manual_options() {
  vdsoforge::OpenOptions options;
  options.mode = vdsoforge::GenerationMode::manual;
  return options;
}

inline std::unique_ptr<vdsoforge::LoadedImage> open_built_image(
    const vdsoforge::OpenOptions& options = manual_options()) {
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_file(VDSOFORGE_TEST_IMAGE, err, options);
  INFO(vdsoforge::errc_name(err.code) << ": " << err.message);
  REQUIRE(image != nullptr);
  return image;
}

// The kernel vDSO, skipping the test where the kernel has none.
inline std::unique_ptr<vdsoforge::LoadedImage> open_kernel_or_skip() {
  if (getauxval(AT_SYSINFO_EHDR) == 0) vdsoforge_skip("the kernel maps no vDSO");
  vdsoforge::Error err;
  auto image = vdsoforge::LoadedImage::open_kernel(err);
  INFO(vdsoforge::errc_name(err.code) << ": " << err.message);
  REQUIRE(image != nullptr);
  return image;
}

inline std::unique_ptr<vdsoforge::LoadedImage> open_kernel_getrandom_or_skip() {
  auto kernel = open_kernel_or_skip();
  if (kernel->getrandom() == nullptr)
    vdsoforge_skip("the kernel vDSO has no getrandom (Linux < 6.11)");
  return kernel;
}

inline bool all_zero(const std::vector<uint8_t>& bytes) {
  for (uint8_t byte : bytes)
    if (byte != 0) return false;
  return true;
}

}  // namespace loader_test
