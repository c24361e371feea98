#include "output_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vdsoforge::tools {

bool write_output_file(const std::string& path, std::span<const uint8_t> bytes,
                       std::string& error) {
  const bool to_stdout = path.empty();
  const std::string name = to_stdout ? "standard output" : path;
  std::FILE* out = to_stdout ? stdout : std::fopen(path.c_str(), "wb");
  if (out == nullptr) {
    error = "cannot create " + name + ": " + std::strerror(errno);
    return false;
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  const int write_errno = errno;
  // Standard output stays open for whatever the command prints next.
  const bool closed = to_stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!written || !closed) {
    error = "cannot write " + name + ": " + std::strerror(written ? errno : write_errno);
    return false;
  }
  return true;
}

bool write_output_file(const std::string& path, std::string_view text, std::string& error) {
  return write_output_file(
      path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), error);
}

}  // namespace vdsoforge::tools
