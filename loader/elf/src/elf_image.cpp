// ElfImage: construction (through ElfParser) and the simple accessors.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "elf_parser.h"

namespace vdsoforge {

std::optional<ElfImage> ElfImage::parse(std::span<const uint8_t> bytes, ParseMode mode,
                                        Error& err) {
  return ElfParser(bytes, mode, err).run();
}

std::optional<ElfImage> ElfImage::parse_file(const std::string& path, ParseMode mode, Error& err) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    err = Error{Errc::io, path + " is a directory, not an image"};
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    err = Error{Errc::io, "cannot open " + path};
    return std::nullopt;
  }
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(file),
                             std::istreambuf_iterator<char>()};
  if (file.bad()) {
    err = Error{Errc::io, "cannot read " + path};
    return std::nullopt;
  }
  auto image = parse(bytes, mode, err);
  if (!image) err.message = path + ": " + err.message;
  return image;
}

std::optional<uint64_t> ElfImage::dynamic_value(int64_t tag) const {
  for (const DynamicEntry& entry : dynamic_) {
    if (entry.tag == tag) return entry.value;
  }
  return std::nullopt;
}

std::string ElfImage::soname() const { return soname_; }

bool ElfImage::has_gnu_hash() const { return gnu_hash_offset_.has_value(); }
bool ElfImage::has_sysv_hash() const { return sysv_hash_offset_.has_value(); }

}  // namespace vdsoforge
