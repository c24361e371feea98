// ElfImage: construction (through ElfParser) and the simple accessors.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "elf_parser.h"

namespace vdsoforge {

std::optional<ElfImage> ElfImage::parse(std::span<const uint8_t> bytes, ParseMode mode,
                                        ElfError& err) {
  return ElfParser(bytes, mode, err).run();
}

std::optional<ElfImage> ElfImage::parse_file(const std::string& path, ParseMode mode,
                                             ElfError& err) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    err = ElfError{Errc::io, path + " is a directory, not an image"};
    return std::nullopt;
  }
  // POSIX calls rather than a stream so the OS reason (missing file,
  // permission denied ...) reaches the message.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = ElfError{Errc::io, "cannot open " + path + ": " + std::strerror(errno)};
    return std::nullopt;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[64 * 1024];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      err = ElfError{Errc::io, "cannot read " + path + ": " + std::strerror(errno)};
      ::close(fd);
      return std::nullopt;
    }
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  ::close(fd);
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
