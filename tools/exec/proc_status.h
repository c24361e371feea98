// What /proc says about a process or thread right now: its thread group,
// parent, tracer, program and name, and whether it is on its way out.  Each
// answer may be stale by the time it is used; callers treat the process as
// possibly gone.
#pragma once

#include <sys/types.h>

#include <string>

namespace vdsoforge::exec {

// The number after `key` ("PPid:", "TracerPid:", ...) in
// /proc/PID/status, or `fallback` if the line or the process is missing.
long status_field(pid_t pid, const char* key, long fallback);

pid_t thread_group_of(pid_t tid);  // `tid` itself if unknown
pid_t tracer_of(pid_t tid);        // 0: untraced (or gone)
pid_t parent_of(pid_t pid);        // 0: gone

// Gone, a zombie, exiting (PF_EXITING) or with SIGKILL pending (how a
// fatal signal ends every thread of a process).
bool is_dying(pid_t tid);

// What the symbolic link (a /proc magic link too) names, "" if unreadable.
std::string link_target(const std::string& path);

std::string program_of(pid_t pid);  // /proc/PID/exe, "" if unreadable
std::string command_of(pid_t pid);  // /proc/PID/comm without its newline

}  // namespace vdsoforge::exec
