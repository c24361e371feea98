#include "state_snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vdsoforge::exec {

namespace {

constexpr char kMagic[8] = {'V', 'F', 'S', 'T', 'A', 'T', 'E', '\n'};
// A file larger than this cannot be a snapshot of states (it would need
// thousands of processes full of them): refused before reading it whole.
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 32;

template <typename T>
void put(std::string& out, T value) {
  for (size_t i = 0; i < sizeof value; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Reads little-endian integers, remembering the first place it ran short.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}

  template <typename T>
  std::optional<T> get(const char* what, std::string& error) {
    if (bytes_.size() - offset_ < sizeof(T)) {
      error = "truncated at byte " + std::to_string(offset_) + ": " + what + " missing";
      return std::nullopt;
    }
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      value |= static_cast<T>(static_cast<uint8_t>(bytes_[offset_ + i])) << (8 * i);
    offset_ += sizeof(T);
    return value;
  }
  size_t offset() const { return offset_; }
  size_t left() const { return bytes_.size() - offset_; }
  void skip(size_t n) { offset_ += n; }

 private:
  const std::string& bytes_;
  size_t offset_ = 0;
};

}  // namespace

std::string SavedStates::shape() const {
  std::string text = std::to_string(processes.size()) + " process(es):";
  for (size_t p = 0; p < processes.size(); ++p) {
    text += p ? ", [" : " [";
    for (size_t m = 0; m < processes[p].size(); ++m)
      text += (m ? " " : "") + std::to_string(processes[p][m].size());
    text += "]";
  }
  return text;
}

std::string encode_saved_states(const SavedStates& states) {
  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(out, SavedStates::kVersion);
  put<uint32_t>(out, static_cast<uint32_t>(states.processes.size()));
  put<uint64_t>(out, states.generation);
  for (const auto& process : states.processes) {
    put<uint32_t>(out, static_cast<uint32_t>(process.size()));
    for (const auto& mapping : process) put<uint64_t>(out, mapping.size());
  }
  for (const auto& process : states.processes)
    for (const auto& mapping : process) out.append(mapping.begin(), mapping.end());
  return out;
}

std::optional<SavedStates> decode_saved_states(const std::string& bytes, std::string& error) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    error = "not a vdsoforge state snapshot (no \"VFSTATE\" magic at byte 0)";
    return std::nullopt;
  }
  Reader in(bytes);
  in.skip(sizeof kMagic);
  const auto version = in.get<uint32_t>("the format version", error);
  if (!version) return std::nullopt;
  if (*version != SavedStates::kVersion) {
    error = "format version " + std::to_string(*version) + " (this vdsoforge reads version " +
            std::to_string(SavedStates::kVersion) + ")";
    return std::nullopt;
  }
  const auto processes = in.get<uint32_t>("the process count", error);
  if (!processes) return std::nullopt;
  if (*processes == 0 || *processes > SavedStates::kMaxProcesses) {
    error = "process count " + std::to_string(*processes) + " at byte 12 is not 1.." +
            std::to_string(SavedStates::kMaxProcesses);
    return std::nullopt;
  }
  SavedStates states;
  const auto generation = in.get<uint64_t>("the generation", error);
  if (!generation) return std::nullopt;
  states.generation = *generation;
  uint64_t data_bytes = 0;
  std::vector<std::vector<uint64_t>> sizes(*processes);
  for (uint32_t p = 0; p < *processes; ++p) {
    const size_t at = in.offset();
    const auto mappings = in.get<uint32_t>("a mapping count", error);
    if (!mappings) return std::nullopt;
    if (*mappings == 0 || *mappings > SavedStates::kMaxMappings) {
      error = "process " + std::to_string(p + 1) + ": mapping count " + std::to_string(*mappings) +
              " at byte " + std::to_string(at) + " is not 1.." +
              std::to_string(SavedStates::kMaxMappings);
      return std::nullopt;
    }
    for (uint32_t m = 0; m < *mappings; ++m) {
      const size_t size_at = in.offset();
      const auto size = in.get<uint64_t>("a mapping size", error);
      if (!size) return std::nullopt;
      if (*size == 0 || *size % SavedStates::kPageBytes != 0 ||
          *size > SavedStates::kMaxMappingBytes) {
        error = "process " + std::to_string(p + 1) + ", mapping " + std::to_string(m + 1) +
                ": size " + std::to_string(*size) + " at byte " + std::to_string(size_at) +
                " is not a whole number of 4096-byte pages up to 1 GiB";
        return std::nullopt;
      }
      sizes[p].push_back(*size);
      data_bytes += *size;
    }
  }
  if (in.left() != data_bytes) {
    error = "the header describes " + std::to_string(data_bytes) + " bytes of states after byte " +
            std::to_string(in.offset()) + ", the file has " + std::to_string(in.left()) +
            (in.left() < data_bytes ? " (truncated)" : " (trailing bytes)");
    return std::nullopt;
  }
  size_t at = in.offset();
  for (const auto& process_sizes : sizes) {
    auto& process = states.processes.emplace_back();
    for (const uint64_t size : process_sizes) {
      process.emplace_back(bytes.begin() + static_cast<long>(at),
                           bytes.begin() + static_cast<long>(at + size));
      at += size;
    }
  }
  return states;
}

bool write_saved_states(const std::string& path, const SavedStates& states, std::string& error) {
  const std::string bytes = encode_saved_states(states);
  const std::string temporary = path + ".tmp-" + std::to_string(getpid());
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = "cannot create " + temporary + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      error = "cannot write " + temporary + ": " + std::strerror(n < 0 ? errno : EIO);
      close(fd);
      unlink(temporary.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    unlink(temporary.c_str());
    return false;
  }
  return true;
}

std::optional<SavedStates> read_saved_states(const std::string& path, std::string& error) {
  // O_NONBLOCK: a FIFO named by mistake must not hang exec (it is refused
  // below as not a regular file); regular files ignore the flag.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat info {};
  if (fd < 0 || fstat(fd, &info) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return std::nullopt;
  }
  if (!S_ISREG(info.st_mode) || static_cast<uint64_t>(info.st_size) > kMaxFileBytes) {
    error =
        path + ": " +
        (S_ISREG(info.st_mode) ? "larger than 4 GiB, not a state snapshot" : "not a regular file");
    close(fd);
    return std::nullopt;
  }
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = read(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  bytes.resize(done);
  auto states = decode_saved_states(bytes, error);
  if (!states) error = path + ": " + error;
  return states;
}

}  // namespace vdsoforge::exec
