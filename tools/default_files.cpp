#include "default_files.h"

#include <filesystem>
#include <system_error>

namespace vdsoforge::tools {

namespace {

// `built` for the tool in its build tree, else `installed` (relative to the
// directory of the running executable).
std::string built_or_installed(const char* built, const char* installed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  // Without /proc the tool cannot know where it is; the build tree's name is
  // then the only one it has.
  if (ec) return built;
  if (fs::equivalent(exe.parent_path(), VDSOFORGE_BUILD_TREE_TOOL_DIR, ec)) return built;
  return (exe.parent_path() / installed).lexically_normal().string();
}

}  // namespace

std::string default_image_path() {
  return built_or_installed(VDSOFORGE_BUILD_TREE_IMAGE, VDSOFORGE_INSTALLED_IMAGE);
}

std::string demo_program_path() {
  return built_or_installed(VDSOFORGE_BUILD_TREE_PROBE, VDSOFORGE_INSTALLED_PROBE);
}

}  // namespace vdsoforge::tools
