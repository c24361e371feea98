#include "tracee_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vdsoforge/hex.h"

namespace vdsoforge::exec {

TraceeMemory::TraceeMemory(pid_t pid) : pid_(pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/mem";
  fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) error_ = "cannot open " + path + ": " + std::strerror(errno);
}

TraceeMemory::~TraceeMemory() {
  if (fd_ >= 0) close(fd_);
}

bool TraceeMemory::read(uintptr_t address, std::span<uint8_t> out) {
  const ssize_t n = pread(fd_, out.data(), out.size(), static_cast<off_t>(address));
  if (n == static_cast<ssize_t>(out.size())) return true;
  error_ = "reading " + std::to_string(out.size()) + " bytes at " + hex(address) + " in process " +
           std::to_string(pid_) + ": " + (n < 0 ? std::strerror(errno) : "short read");
  return false;
}

bool TraceeMemory::write(uintptr_t address, std::span<const uint8_t> bytes) {
  const ssize_t n = pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(address));
  if (n == static_cast<ssize_t>(bytes.size())) return true;
  error_ = "writing " + std::to_string(bytes.size()) + " bytes at " + hex(address) +
           " in process " + std::to_string(pid_) + ": " +
           (n < 0 ? std::strerror(errno) : "short write");
  return false;
}

bool TraceeMemory::read_word(uintptr_t address, uint64_t& value) {
  return read(address, {reinterpret_cast<uint8_t*>(&value), sizeof value});
}

bool TraceeMemory::write_word(uintptr_t address, uint64_t value) {
  return write(address, {reinterpret_cast<const uint8_t*>(&value), sizeof value});
}

}  // namespace vdsoforge::exec
