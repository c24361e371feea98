#include "saved_auxv.h"

#include <linux/prctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace vdsoforge::exec {

namespace {

// The memory-map fields of /proc/PID/stat, numbered as proc(5) numbers them.
constexpr size_t kStartCode = 26, kEndCode = 27, kStartStack = 28, kStartData = 45, kEndData = 46,
                 kStartBrk = 47, kArgStart = 48, kArgEnd = 49, kEnvStart = 50, kEnvEnd = 51;

// Fields 3.. of /proc/PID/stat (after the command name, which may hold
// spaces and parentheses), so that field N is fields[N - 3].
bool read_stat_fields(pid_t pid, std::vector<uint64_t>& fields) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream words(text.substr(close + 1));
  std::string state;
  words >> state;
  fields.assign(1, 0);  // field 3, the state letter, is not a number
  uint64_t value = 0;
  while (words >> value) fields.push_back(value);
  return fields.size() + 2 >= kEnvEnd;
}

std::string errno_text(long result) { return std::strerror(static_cast<int>(-result)); }

}  // namespace

const char* saved_auxv_update_name(SavedAuxvUpdate how) {
  switch (how) {
    case SavedAuxvUpdate::prctl_auxv:
      return "prctl_auxv";
    case SavedAuxvUpdate::prctl_mm_map:
      return "prctl_mm_map";
    case SavedAuxvUpdate::not_updated:
      return "not_updated";
  }
  return "not_updated";
}

bool update_saved_auxv(SyscallInjector& injector, pid_t pid, const AuxvOnStack& auxv,
                       uintptr_t scratch, SavedAuxvResult& result, std::string& error) {
  const uint64_t size = 16 * auxv.entries.size();
  long answer = 0;
  if (!injector.call(SYS_prctl, {PR_SET_MM, PR_SET_MM_AUXV, auxv.address, size, 0, 0}, answer,
                     error))
    return false;
  if (answer == 0) {
    result = {SavedAuxvUpdate::prctl_auxv, {}};
    return true;
  }
  std::string why = "PR_SET_MM_AUXV: " + errno_text(answer);

  // PR_SET_MM_MAP restates the whole map: every field as the kernel has it
  // now, only the vector new.  Right after execve the break is where it
  // starts, but brk(0) says so for certain.
  std::vector<uint64_t> stat;
  long brk = 0;
  if (!read_stat_fields(pid, stat)) {
    result = {SavedAuxvUpdate::not_updated, why + "; PR_SET_MM_MAP: /proc/PID/stat unreadable"};
    return true;
  }
  if (!injector.call(SYS_brk, {0, 0, 0, 0, 0, 0}, brk, error)) return false;
  const auto field = [&](size_t n) { return stat[n - 3]; };
  prctl_mm_map map{};
  map.start_code = field(kStartCode);
  map.end_code = field(kEndCode);
  map.start_data = field(kStartData);
  map.end_data = field(kEndData);
  map.start_brk = field(kStartBrk);
  map.brk = static_cast<uint64_t>(brk);
  map.start_stack = field(kStartStack);
  map.arg_start = field(kArgStart);
  map.arg_end = field(kArgEnd);
  map.env_start = field(kEnvStart);
  map.env_end = field(kEnvEnd);
  map.auxv = reinterpret_cast<__u64*>(auxv.address);
  map.auxv_size = static_cast<__u32>(size);
  map.exe_fd = static_cast<__u32>(-1);  // keep /proc/PID/exe
  if (!injector.memory().write(scratch, {reinterpret_cast<const uint8_t*>(&map), sizeof map})) {
    error = injector.memory().error();
    return false;
  }
  if (!injector.call(SYS_prctl, {PR_SET_MM, PR_SET_MM_MAP, scratch, sizeof map, 0, 0}, answer,
                     error))
    return false;
  if (answer == 0) {
    result = {SavedAuxvUpdate::prctl_mm_map, {}};
    return true;
  }
  result = {SavedAuxvUpdate::not_updated, why + "; PR_SET_MM_MAP: " + errno_text(answer)};
  return true;
}

}  // namespace vdsoforge::exec
