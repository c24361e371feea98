// The supervisor loop of `vdsoforge exec`: runs a program and everything it
// starts, giving each program any of them execs the forged vDSO before its
// first instruction, and otherwise leaving them alone.
//
// Every execve of the tree waits for this loop's answer at one of two
// gates: fanotify permission events on the mounts of the tree's own mount
// namespace (fanotify_exec_gate.h; no cost per system call, needs
// CAP_SYS_ADMIN), or the exec filter every process carries
// (exec_filter.h; it also serves --count-syscalls and --deterministic,
// which must see getrandom and time system calls).  For an execve the loop
// attaches to the calling thread (PTRACE_SEIZE), lets the call go on,
// installs the image at the first stop after it (the PTRACE_INTERRUPT trap,
// before the new program's first instruction) and detaches.  Between execve
// calls nothing is traced: the program may trace its children, be traced,
// stop and continue as it would without exec.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "time_syscalls.h"
#include "vdso_installer.h"

namespace vdsoforge::exec {
class DeterministicReplay;
}

namespace vdsoforge::exec {

enum class ExecGate {
  automatic,  // fanotify when allowed and no system call needs the filter
  fanotify,
  seccomp,
};

struct TraceConfig {
  std::vector<std::string> argv;
  ExecGate gate = ExecGate::automatic;
  ForgedVdso vdso;
  bool count_getrandom = false;    // user notification on getrandom(2)
  bool count_time = false;         // ... and on the time system calls (time_syscalls.h)
  bool refuse_privileged = false;  // a setuid/setgid/capability program ends the tree (exit 2)
  // Called once per kind of note (see TraceResult::notes) when it first
  // applies, so a long-running program's user hears of it at once.
  std::function<void(const std::string&)> on_note;
  // Fault injection (fault_injector.h): told of each counted getrandom
  // system call before the call runs.
  std::function<void()> on_getrandom_syscall;
  // --deterministic: answers every getrandom(2) and seeds AT_RANDOM
  // (deterministic_replay.h); nullptr leaves both to the kernel.
  DeterministicReplay* deterministic = nullptr;
};

struct ProcessRecord {
  pid_t pid = 0;
  pid_t parent = 0;     // 0 for the program exec started
  std::string program;  // what it exec'd last (empty: forked, never exec'd)
  unsigned execs = 0;
  uint64_t getrandom_syscalls = 0;
  uintptr_t image_base = 0;  // where its last exec got the image
  // How its last exec's /proc/PID/auxv was made to name the image:
  // "prctl_auxv", "prctl_mm_map" or "not_updated" (empty: never exec'd here).
  std::string proc_auxv;
  // Why its program runs on the kernel's vDSO instead ("privileged: setuid",
  // "traced by ..."), empty when it has the image.
  std::string kernel_vdso_because;
};

enum class TraceEnd {
  exited,       // the program exited; status is its exit code
  killed,       // the program died of a signal; status is the signal
  not_started,  // execve of the program failed (127 not found, 126 otherwise)
  refused,      // a program in the tree may not be run on the image (exit 2)
  failed,       // the tracer itself failed (exit 2)
};

struct TraceResult {
  TraceEnd end = TraceEnd::failed;
  int status = 0;
  std::string message;  // for not_started, refused and failed
  // Processes seen at an execve or (with --count-syscalls) a getrandom
  // call, in order of appearance; a forked child that does neither is not
  // seen (it runs its parent's program, on its parent's image).
  std::vector<ProcessRecord> processes;
  uint64_t getrandom_syscalls = 0;
  TimeSyscallCounts time_syscalls{};  // with count_time, per kTimeSyscalls entry
  // Things the user should know that did not stop the program, each said
  // once (for example that /proc/PID/auxv could not be updated).
  std::vector<std::string> notes;
  std::string gate;                           // "fanotify" or "seccomp"; empty if none was set up
  std::string gate_because;                   // why `automatic` chose the seccomp gate
  std::vector<std::string> unwatched_mounts;  // fanotify: mounts that could not be marked
  // fanotify: why no exec witness (exec_witness.h) checks the gate, and
  // how many execs of the tree it saw that never asked the gate.
  std::string unwitnessed_because;
  uint64_t unseen_execs = 0;

  // What `vdsoforge exec` returns, as a shell would: the exit code, 128+N
  // for signal N, 127/126 when the program could not be started, 2 for
  // refusals and tracer errors.
  int exit_status() const;
};

// Runs until every process of the tree has ended (this process is their
// child subreaper, so orphans come back to it).  While it runs SIGINT,
// SIGTERM and SIGHUP sent to this process are forwarded to the program.
TraceResult trace_program(const TraceConfig& config);

}  // namespace vdsoforge::exec
