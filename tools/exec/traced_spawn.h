// Starting the program as a tracee: fork, PTRACE_TRACEME, stop so the tracer
// can set its options, optionally install the getrandom filter, execvp.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vdsoforge::exec {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH as execvp does
  bool filter_getrandom = false;  // install_getrandom_filter() before execve
  unsigned long ptrace_options = 0;
};

// Why the child never reached its program; read after it exited.
struct SpawnFailure {
  int exit_status = 0;  // 127 (not found), 126 (not executable) or 2 (refused)
  std::string message;
};

// The child, stopped at its first tracee stop with the options set and then
// resumed, so the next stop of interest is its exec event (or its exit, when
// execve failed; collect the reason with spawn_failure()).  If it could not
// even become a tracee it has already been reaped: `ended` is set.
// -1 with error set if it could not be started or traced.
pid_t spawn_traced(const SpawnRequest& request, int& report_fd, bool& ended, std::string& error);

// After the child exited without exec'ing: what went wrong, from report_fd
// (closed here).  exit_status 0 if the child said nothing (it was killed).
SpawnFailure spawn_failure(int report_fd, const std::string& program);

}  // namespace vdsoforge::exec
