// Owning handles for the two kernel resources the loader juggles: address
// ranges from mmap and file descriptors.  Each releases exactly once, so every
// early return in the mapping code leaves nothing behind.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace vdsoforge::detail {

class UniqueMapping {
 public:
  UniqueMapping() = default;
  UniqueMapping(void* address, size_t size) : address_(address), size_(size) {}
  UniqueMapping(UniqueMapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  UniqueMapping& operator=(UniqueMapping&& other) noexcept {
    if (this != &other) {
      reset();
      address_ = std::exchange(other.address_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  UniqueMapping(const UniqueMapping&) = delete;
  UniqueMapping& operator=(const UniqueMapping&) = delete;
  ~UniqueMapping() { reset(); }

  void reset() {
    if (address_ != nullptr) munmap(address_, size_);
    address_ = nullptr;
    size_ = 0;
  }
  // Gives up ownership without unmapping (for ranges handed to a caller).
  void* release() {
    size_ = 0;
    return std::exchange(address_, nullptr);
  }

  void* get() const { return address_; }
  uint8_t* bytes() const { return static_cast<uint8_t*>(address_); }
  uintptr_t address() const { return reinterpret_cast<uintptr_t>(address_); }
  size_t size() const { return size_; }
  explicit operator bool() const { return address_ != nullptr; }

 private:
  void* address_ = nullptr;
  size_t size_ = 0;
};

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

inline constexpr size_t round_up_to_page(size_t size, size_t page) {
  return (size + page - 1) / page * page;
}

}  // namespace vdsoforge::detail
