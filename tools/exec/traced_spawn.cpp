#include "traced_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "getrandom_filter.h"

namespace vdsoforge::exec {

namespace {

enum Stage : int { kTraceMe = 1, kFilter = 2, kExec = 3 };

struct ChildReport {
  int stage;
  int error;
};

// In the child between fork and execve only async-signal-safe calls.
[[noreturn]] void child_fail(int fd, Stage stage, int error, int status) {
  const ChildReport report{stage, error};
  [[maybe_unused]] ssize_t ignored = write(fd, &report, sizeof report);
  _exit(status);
}

}  // namespace

pid_t spawn_traced(const SpawnRequest& request, int& report_fd, bool& ended, std::string& error) {
  ended = false;
  std::vector<char*> argv;
  for (const std::string& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return -1;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    close(report[0]);
    close(report[1]);
    return -1;
  }
  if (pid == 0) {
    close(report[0]);
    // EPERM here: this process is already being traced by someone else.
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) child_fail(report[1], kTraceMe, errno, 2);
    raise(SIGSTOP);
    if (request.filter_getrandom) {
      if (const int e = install_getrandom_filter(); e != 0) child_fail(report[1], kFilter, e, 2);
    }
    execvp(argv[0], argv.data());
    const int e = errno;
    child_fail(report[1], kExec, e, e == ENOENT ? 127 : 126);
  }
  close(report[1]);
  report_fd = report[0];

  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) {
    error = std::string("waitpid: ") + std::strerror(errno);
    return -1;
  }
  if (!WIFSTOPPED(status)) {  // exited at once (TRACEME refused): spawn_failure() says why
    ended = true;
    return pid;
  }
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, request.ptrace_options) != 0) {
    error = std::string("this kernel refuses the ptrace options exec needs (PTRACE_SETOPTIONS: ") +
            std::strerror(errno) + ")";
    kill(pid, SIGKILL);
    waitpid(pid, &status, __WALL);
    return -1;
  }
  if (ptrace(PTRACE_CONT, pid, nullptr, nullptr) != 0) {
    error = std::string("PTRACE_CONT: ") + std::strerror(errno);
    kill(pid, SIGKILL);
    waitpid(pid, &status, __WALL);
    return -1;
  }
  return pid;
}

SpawnFailure spawn_failure(int report_fd, const std::string& program) {
  ChildReport report{};
  const ssize_t n = read(report_fd, &report, sizeof report);
  close(report_fd);
  if (n != sizeof report) return {};
  const std::string reason = std::strerror(report.error);
  switch (report.stage) {
    case kTraceMe:
      return {2, "refused: cannot trace the program (PTRACE_TRACEME: " + reason +
                     "); is vdsoforge itself running under a tracer (strace, gdb, another "
                     "vdsoforge exec)?"};
    case kFilter:
      return {2,
              "refused: this kernel does not accept the getrandom seccomp filter needed by "
              "--count-syscalls (" +
                  reason + ")"};
    default:
      return {report.error == ENOENT ? 127 : 126, program + ": " + reason};
  }
}

}  // namespace vdsoforge::exec
