// Programs the kernel runs with more privileges than their caller: setuid
// and setgid files and files with capabilities, unless their file system is
// mounted nosuid.  `exec` leaves them (and everything they start) on the
// kernel's own vDSO, untraced, so they keep those privileges; with
// --refuse-privileged it refuses them instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace vdsoforge::exec {

// "" if executing `path` (as this process can open it) gains nothing, else
// how it gains: "setuid", "setgid" or "file capabilities".
std::string privilege_of_file(const std::string& path);

// The file a process is about to execute, from its execve/execveat
// arguments, as this process can open it (through /proc/PID/root, cwd or
// fd, so a chroot or a relative path resolves as the kernel will resolve
// it); "" if its name cannot be read.
std::string exec_target_path(pid_t pid, bool execveat, const uint64_t args[6]);

// "" if the program now running in `pid` runs with its caller's
// credentials, else why not (a privileged executable, or effective ids that
// differ from the real ones after exec).
std::string privilege_of_process(pid_t pid);

}  // namespace vdsoforge::exec
