// Runs the built vdsoforge tool as a child process and captures what it
// printed and how it exited, so tests check the command line users run.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace abi_test {

struct ToolResult {
  int exit_code = -1;  // -1: did not exit normally (killed by a signal)
  std::string out, err;
};

ToolResult run_tool(const std::vector<std::string>& args);

// Any program, argv[0] being its path (or a name searched in PATH).
ToolResult run_program(const std::vector<std::string>& argv);

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

}  // namespace abi_test
