// Writing a command's output file (dump's image, embed's header, the
// --junit/--sarif reports): one writer, so every command reports a failure
// the same way.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vdsoforge::tools {

// Writes `bytes` to `path`, or to standard output when `path` is empty.
// Returns false with `error` set to "cannot create PATH: reason" (the file
// cannot be opened) or "cannot write PATH: reason" (writing or closing failed).
bool write_output_file(const std::string& path, std::span<const uint8_t> bytes, std::string& error);
bool write_output_file(const std::string& path, std::string_view text, std::string& error);

}  // namespace vdsoforge::tools
