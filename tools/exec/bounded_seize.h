// PTRACE_SEIZE that gives up after a time limit.
//
// The kernel's attach waits, interruptibly, for the target process's exec
// lock (cred_guard_mutex), which an execve holds from just after it opened
// the program file until its point of no return.  Behind the fanotify gate
// a thread can ask for exec's answer while it holds that lock: when it opens
// an interpreter (the ELF interpreter, a script's #! program) for an exec
// whose program file the gate never saw (a memfd, a path into another
// mount namespace).  Seizing it then would wait for an answer only the
// waiting tracer can give.  An interrupted attach is restarted by the kernel
// (ERESTARTNOINTR), so the wait is cut short by leaving the timer signal's
// handler with siglongjmp.
#pragma once

#include <sys/types.h>

#include <chrono>

namespace vdsoforge::exec {

// 0 once attached, else the errno (ETIMEDOUT when the limit passed without
// an attach).  Must run on the thread that will trace `tid`.
int seize_within(pid_t tid, unsigned long options, std::chrono::milliseconds limit);

}  // namespace vdsoforge::exec
