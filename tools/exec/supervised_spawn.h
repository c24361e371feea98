// Starting the program under one of exec's two gates.  The seccomp gate:
// fork, install the filter in the child, hand its listener descriptor to
// this process, execvp; the child's execve then waits for this process's
// answer like every later one.  The fanotify gate: fork, the child takes a
// mount namespace of its own and waits while this process marks its mounts
// (fanotify_exec_gate.h), then execvp.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "exec_filter.h"

namespace vdsoforge::exec {

struct SpawnRequest {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH as execvp does
  const ExecFilter* filter = nullptr;  // the seccomp gate, or
  // the fanotify gate: called in this process once the child has its own
  // mount namespace and before it execs; false (with the error set) ends
  // the child and the spawn.
  std::function<bool(pid_t child, std::string& error)> mark_mounts;
};

struct Spawned {
  pid_t pid = -1;
  int listener = -1;   // the filter's notification descriptor
  int report_fd = -1;  // readable after the child exited without exec'ing
};

// Why the child never reached its program; read after it exited.
struct SpawnFailure {
  int exit_status = 0;  // 127 (not found), 126 (not executable) or 2 (gate refused)
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
