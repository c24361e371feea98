#include "program_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <span>

#include "proc_status.h"
#include "vdsoforge/elf_outline.h"

namespace vdsoforge::exec {

namespace {

// Only ELF files are judged; a script is judged by its interpreter, at the
// exec stop that runs it.
std::string check_file(const std::string& path, const std::string& name, bool must_be_elf) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return must_be_elf ? "cannot inspect " + name + ": " + std::strerror(errno) : "";
  std::array<uint8_t, kElfFileKindBytes> header{};
  struct stat info {};
  const ssize_t got = pread(fd, header.data(), header.size(), 0);
  const bool stat_ok = fstat(fd, &info) == 0;
  close(fd);
  const auto kind = got > 0 ? read_elf_file_kind(std::span(header).first(static_cast<size_t>(got)))
                            : std::nullopt;
  if (!kind || !stat_ok)
    return must_be_elf ? "cannot inspect " + name + " (not a readable ELF file)" : "";
  if (kind->elf_class != ELFCLASS64)
    return name + (kind->machine == EM_X86_64 ? " is an x32 program" : " is a 32-bit program") +
           "; its vDSO is another ABI, which the image does not provide";
  if (kind->machine != EM_X86_64) return name + " is not an x86-64 program";
  return {};
}

}  // namespace

std::string refusal_reason(pid_t pid) {
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  const std::string name = program_of(pid);
  return check_file(exe, name.empty() ? exe : name, true);
}

std::string refusal_reason_for_program(const std::string& program) {
  if (program.empty()) return {};
  if (program.find('/') != std::string::npos) return check_file(program, program, false);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/bin:/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return check_file(candidate, candidate, false);
    start = end + 1;
  }
  return {};
}

}  // namespace vdsoforge::exec
