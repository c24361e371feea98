#include "proc_status.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace vdsoforge::exec {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

long status_field(pid_t pid, const char* key, long fallback) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(key)) return std::stol(line.substr(std::strlen(key)));
  return fallback;
}

pid_t thread_group_of(pid_t tid) { return static_cast<pid_t>(status_field(tid, "Tgid:", tid)); }
pid_t tracer_of(pid_t tid) { return static_cast<pid_t>(status_field(tid, "TracerPid:", 0)); }
pid_t parent_of(pid_t pid) { return static_cast<pid_t>(status_field(pid, "PPid:", 0)); }

bool is_dying(pid_t tid) {
  constexpr unsigned long kExitingFlag = 0x4;  // PF_EXITING
  constexpr unsigned long kKillBit = 1ul << (SIGKILL - 1);
  const std::string stat = read_text("/proc/" + std::to_string(tid) + "/stat");
  const size_t after_name = stat.rfind(')');
  if (after_name == std::string::npos) return true;
  // Fields after the name: state (3), ppid, pgrp, session, tty, tpgid, flags (9).
  std::istringstream fields(stat.substr(after_name + 1));
  std::string state;
  long skipped = 0;
  unsigned long flags = 0;
  fields >> state >> skipped >> skipped >> skipped >> skipped >> skipped >> flags;
  if (!fields || state == "Z" || state == "X" || (flags & kExitingFlag)) return true;
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("SigPnd:"))
      return (std::stoul(line.substr(7), nullptr, 16) & kKillBit) != 0;
  return true;
}

std::string link_target(const std::string& path) {
  char target[4096] = {};
  const ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

std::string program_of(pid_t pid) { return link_target("/proc/" + std::to_string(pid) + "/exe"); }

std::string command_of(pid_t pid) {
  std::string comm = read_text("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

}  // namespace vdsoforge::exec
