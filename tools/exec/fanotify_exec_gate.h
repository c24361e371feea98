// The exec gate that costs nothing per system call: fanotify permission
// events (FAN_OPEN_EXEC_PERM) on every mount of the program's own mount
// namespace.  The kernel asks for exec's permission each time a file is
// opened for execution (the program, then a script's interpreter and the
// ELF interpreter) and makes the caller wait for the answer, inside its
// execve and before the point of no return: the same moment the seccomp
// filter gives (exec_filter.h), but no filter sits in front of the
// program's other system calls.
//
// Fanotify's mount marks see every process that opens files through those
// mounts.  So the program gets a mount namespace of its own (a copy of
// exec's, with the same propagation, made by supervised_spawn), and only
// the tree's execs ask this gate; the rest of the machine never waits for
// it.  Needs CAP_SYS_ADMIN (fanotify permission events and unshare).
//
// A mount added later (the program mounts a file system and runs something
// from it) is marked when its mount namespace's mount table changes, which
// the gate hears through POLLPRI on that table.  Exec that beats the
// marking, or in a mount namespace the program makes itself, is not seen:
// docs/exec.md says what that means.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vdsoforge::exec {

// One file opened for execution, waiting for its answer.
struct ExecOpen {
  pid_t tid = 0;     // the thread in execve (FAN_REPORT_TID)
  int file_fd = -1;  // the opened file, in this process; closed by allow()
};

class FanotifyExecGate {
 public:
  // The fanotify group; nullptr with `error` set when the kernel or this
  // process's privileges do not allow the gate.
  static std::unique_ptr<FanotifyExecGate> create(std::string& error);
  // Marks every mount of `process`'s mount namespace (through
  // /proc/PROCESS/root); false with `error` set if not one could be.
  bool watch(pid_t process, std::string& error);
  ~FanotifyExecGate();
  FanotifyExecGate(const FanotifyExecGate&) = delete;
  FanotifyExecGate& operator=(const FanotifyExecGate&) = delete;

  int event_fd() const { return group_; }
  // Becomes ready (POLLPRI) when the namespace's mount table changes.
  int mount_table_fd() const { return mount_table_; }

  // The exec opens queued now (none if nothing waits).
  std::vector<ExecOpen> take_events();
  // Lets the execve go on; closes the event's file descriptor.
  void allow(ExecOpen& open);
  // Marks mounts added or made executable since the last look; how many.
  size_t mark_new_mounts();

  // Mounts that could hold a program but could not be marked (path, file
  // system type and errno), for the report: execs from them go unseen.
  const std::vector<std::string>& unmarked() const { return unmarked_; }
  // The errno of the last failed read of events (0: none): the kernel
  // denied that exec (EPERM to the program) because this process could not
  // take its file.
  int read_failure() const { return read_failure_; }

 private:
  FanotifyExecGate() = default;

  int group_ = -1;
  int root_ = -1;                   // O_PATH descriptor of the program's root directory
  int mount_table_ = -1;            // /proc/PROCESS/mountinfo, held open
  std::set<unsigned long> marked_;  // mount ids
  std::vector<std::string> unmarked_;
  int read_failure_ = 0;
};

}  // namespace vdsoforge::exec
