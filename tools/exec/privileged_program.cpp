#include "privileged_program.h"

#include <fcntl.h>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace vdsoforge::exec {

namespace {

// The string at `address` in process `pid`, up to PATH_MAX bytes.
bool read_remote_string(pid_t pid, uint64_t address, std::string& out) {
  const std::string mem = "/proc/" + std::to_string(pid) + "/mem";
  const int fd = open(mem.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char chunk[256];
  while (out.size() < PATH_MAX) {
    const ssize_t n = pread(fd, chunk, sizeof chunk, static_cast<off_t>(address + out.size()));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (chunk[i] == 0) {
        close(fd);
        return true;
      }
      out.push_back(chunk[i]);
    }
  }
  close(fd);
  return false;
}

// "Uid:\tR\tE\tS\tFS" -> {R, E}
bool real_and_effective(const std::string& status, const char* key, std::string& real,
                        std::string& effective) {
  std::istringstream lines(status);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with(key)) continue;
    std::istringstream words(line.substr(std::string(key).size()));
    return static_cast<bool>(words >> real >> effective);
  }
  return false;
}

}  // namespace

std::string privilege_of_file(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  struct statvfs mount {};
  if (statvfs(path.c_str(), &mount) == 0 && (mount.f_flag & ST_NOSUID)) return {};
  if (info.st_mode & S_ISUID) return "setuid";
  // Without group execute permission the setgid bit means mandatory locking.
  if ((info.st_mode & S_ISGID) && (info.st_mode & S_IXGRP)) return "setgid";
  if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0) return "file capabilities";
  return {};
}

std::string exec_target_path(pid_t pid, bool execveat, const uint64_t args[6]) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::string name;
  if (!read_remote_string(pid, execveat ? args[1] : args[0], name)) return {};
  const int dirfd = execveat ? static_cast<int>(args[0]) : AT_FDCWD;
  const std::string base =
      dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd);
  if (name.empty()) return execveat ? base : std::string();  // AT_EMPTY_PATH: the descriptor
  if (name.front() == '/') return proc + "/root" + name;
  return base + "/" + name;
}

std::string privilege_of_process(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  if (std::string how = privilege_of_file(proc + "/exe"); !how.empty()) return how;
  std::ifstream in(proc + "/status");
  const std::string status((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string real, effective;
  if (real_and_effective(status, "Uid:", real, effective) && real != effective)
    return "effective uid " + effective + " differs from uid " + real;
  if (real_and_effective(status, "Gid:", real, effective) && real != effective)
    return "effective gid " + effective + " differs from gid " + real;
  return {};
}

}  // namespace vdsoforge::exec
