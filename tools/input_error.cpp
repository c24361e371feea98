#include "input_error.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "check/not_a_vdso.h"

namespace vdsoforge::tools {

namespace {

// The parser and the loader name the file in their messages, in one of three
// ways; the reason is what follows the name.
std::string without_path(const std::string& path, std::string message) {
  for (const std::string& lead : {path + ": ", path + " is ", "cannot open " + path + ": "}) {
    if (message.starts_with(lead)) return message.substr(lead.size());
  }
  if (const std::string lead = "cannot read " + path + ": "; message.starts_with(lead))
    return "read failed: " + message.substr(lead.size());
  return message;
}

}  // namespace

InputError refused_input(const std::string& path, RefusedInput refused) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0 &&
      !ec)
    return {std::move(refused.code), "the file is empty (0 bytes), not an ELF image"};
  return {std::move(refused.code), in_option_words(without_path(path, std::move(refused.message)))};
}

InputError refused_input(const std::string& path, const Error& refusal) {
  return refused_input(path,
                       why_refused(path, {std::string(errc_name(refusal.code)), refusal.message}));
}

std::string in_option_words(std::string message) {
  static const std::pair<std::string_view, std::string_view> kOptions[] = {
      {"OpenOptions::time_namespace", "--timens"},
      {"OpenOptions::chacha20", "--chacha"},
      {"OpenOptions::data_layout", "--data-layout"},
  };
  for (const auto& [api, option] : kOptions) {
    for (size_t at = message.find(api); at != std::string::npos; at = message.find(api, at))
      message.replace(at, api.size(), option);
  }
  return message;
}

}  // namespace vdsoforge::tools
