// Starting the program under the exec filter: fork, install the filter in
// the child, hand its listener descriptor to this process, execvp.  The
// child's execve then waits for this process's answer like every later one.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "exec_filter.h"

namespace vdsoforge::exec {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH as execvp does
  const ExecFilter* filter = nullptr;
};

struct Spawned {
  pid_t pid = -1;
  int listener = -1;   // the filter's notification descriptor
  int report_fd = -1;  // readable after the child exited without exec'ing
};

// Why the child never reached its program; read after it exited.
struct SpawnFailure {
  int exit_status = 0;  // 127 (not found), 126 (not executable) or 2 (filter refused)
  std::string message;
};

// False with error set if the child could not be started; if it started but
// failed before handing over the listener, listener is -1 and the child
// has exited: collect it and ask spawn_failure() why.
bool spawn_supervised(const SpawnRequest& request, Spawned& spawned, std::string& error);

// After the child exited without exec'ing: what went wrong, from report_fd
// (closed here).  exit_status 0 if the child said nothing (it was killed).
SpawnFailure spawn_failure(int report_fd, const std::string& program);

}  // namespace vdsoforge::exec
