// The ptrace loop of `vdsoforge exec`: runs a program and every process it
// forks, giving each program any of them execs the forged vDSO before its
// first instruction.  Processes stop only at fork/clone/exec events, at
// signals, and (with the getrandom filter) at getrandom(2) calls: never at
// other system calls.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vdso_installer.h"

namespace vdsoforge::exec {

struct TraceConfig {
  std::vector<std::string> argv;
  ForgedVdso vdso;
  bool count_getrandom = false;  // seccomp SECCOMP_RET_TRACE on getrandom(2)
  // Called once per kind of note (see TraceResult::notes) when it first
  // applies, so a long-running program's user hears of it at once.
  std::function<void(const std::string&)> on_note;
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
  std::string message;                   // for not_started, refused and failed
  std::vector<ProcessRecord> processes;  // in order of appearance
  uint64_t getrandom_syscalls = 0;
  // Things the user should know that did not stop the program, each said
  // once (for example that /proc/PID/auxv could not be updated).
  std::vector<std::string> notes;

  // What `vdsoforge exec` returns, as a shell would: the exit code, 128+N
  // for signal N, 127/126 when the program could not be started, 2 for
  // refusals and tracer errors.
  int exit_status() const;
};

// Runs until every traced process has ended.  While it runs SIGINT, SIGTERM
// and SIGHUP sent to this process are forwarded to the program.
TraceResult trace_program(const TraceConfig& config);

}  // namespace vdsoforge::exec
