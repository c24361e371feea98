#include "process_tree_tracer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "program_check.h"
#include "syscall_injector.h"
#include "traced_spawn.h"

namespace vdsoforge::exec {

namespace {

constexpr unsigned long kPtraceOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
    PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP;
constexpr int kSyscallStop = SIGTRAP | 0x80;  // with PTRACE_O_TRACESYSGOOD

std::atomic<pid_t> forward_to{0};

void forward_signal(int signal) {
  const pid_t pid = forward_to.load();
  if (pid > 0) kill(pid, signal);
}

// Forwards SIGINT/SIGTERM/SIGHUP to the program while alive.
class SignalForwarding {
 public:
  explicit SignalForwarding(pid_t pid) {
    forward_to.store(pid);
    struct sigaction action {};
    action.sa_handler = forward_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &previous_[i]);
  }
  ~SignalForwarding() {
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
    forward_to.store(0);
  }
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
};

pid_t thread_group_of(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("Tgid:")) return static_cast<pid_t>(std::stol(line.substr(5)));
  return tid;
}

std::string program_of(pid_t pid) {
  char target[4096] = {};
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = readlink(exe.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

class Tracer {
 public:
  explicit Tracer(const TraceConfig& config) : config_(config) {}

  TraceResult run() {
    if (const std::string reason = refusal_reason_for_program(config_.argv[0]); !reason.empty()) {
      result_.end = TraceEnd::refused;
      result_.status = 2;
      result_.message = "refused: " + reason;
      return result_;
    }
    int report_fd = -1;
    bool ended = false;
    std::string error;
    const pid_t pid = spawn_traced({config_.argv, config_.count_getrandom, kPtraceOptions},
                                   report_fd, ended, error);
    if (pid < 0) return fail(error);
    if (ended) {
      const SpawnFailure failure = spawn_failure(report_fd, config_.argv[0]);
      if (failure.exit_status == 0) return fail("the program's process ended before it started");
      result_.end = failure.exit_status == 2 ? TraceEnd::refused : TraceEnd::not_started;
      result_.status = failure.exit_status;
      result_.message = failure.message;
      return result_;
    }
    main_ = pid;
    add_process(pid, 0);
    threads_[pid] = pid;
    SignalForwarding forwarding(pid);
    loop(report_fd);
    if (report_fd >= 0) close(report_fd);
    result_.processes.clear();
    for (pid_t p : order_) result_.processes.push_back(processes_[p]);
    return result_;
  }

 private:
  TraceResult fail(const std::string& message) {
    result_.end = TraceEnd::failed;
    result_.message = message;
    return result_;
  }

  void add_process(pid_t pid, pid_t parent) {
    if (processes_.count(pid)) return;
    ProcessRecord record;
    record.pid = pid;
    record.parent = parent;
    processes_[pid] = record;
    order_.push_back(pid);
  }

  void loop(int& report_fd) {
    for (;;) {
      int status = 0;
      const pid_t tid = waitpid(-1, &status, __WALL);
      if (tid < 0) {
        if (errno == EINTR) continue;
        if (errno != ECHILD) fail_and_stop(std::string("waitpid: ") + std::strerror(errno));
        return;
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        on_ended(tid, status, report_fd);
        continue;
      }
      if (!WIFSTOPPED(status)) continue;
      on_stop(tid, status);
      if (stopping_) {
        kill_everything();
        return;
      }
    }
  }

  void on_ended(pid_t tid, int status, int& report_fd) {
    threads_.erase(tid);
    if (tid != main_ || main_ended_) return;
    main_ended_ = true;
    if (!main_execed_) {
      const SpawnFailure failure = spawn_failure(report_fd, config_.argv[0]);
      report_fd = -1;
      if (failure.exit_status != 0) {
        result_.end = failure.exit_status == 2 ? TraceEnd::refused : TraceEnd::not_started;
        result_.status = failure.exit_status;
        result_.message = failure.message;
        return;
      }
    }
    if (WIFEXITED(status)) {
      result_.end = TraceEnd::exited;
      result_.status = WEXITSTATUS(status);
    } else {
      result_.end = TraceEnd::killed;
      result_.status = WTERMSIG(status);
    }
  }

  void on_stop(pid_t tid, int status) {
    const int signal = WSTOPSIG(status);
    const int event = status >> 16;
    if (!threads_.count(tid)) {
      // A new child or thread whose own first stop beat its parent's event.
      threads_[tid] = thread_group_of(tid);
      add_process(threads_[tid], 0);
      if (signal == SIGSTOP) {
        resume(tid, 0);
        return;
      }
    }
    if (signal == SIGTRAP && event != 0) {
      on_event(tid, event);
      return;
    }
    if (signal == kSyscallStop) {
      resume(tid, 0);
      return;
    }
    siginfo_t info{};
    if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0) {
      // A group-stop: restart it (job control does not pass through exec).
      resume(tid, 0);
      return;
    }
    if (signal == SIGSTOP && fresh_.erase(tid)) {
      resume(tid, 0);  // the initial stop of an auto-attached child
      return;
    }
    resume(tid, signal);
  }

  void on_event(pid_t tid, int event) {
    unsigned long message = 0;
    ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message);
    switch (event) {
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        const auto child = static_cast<pid_t>(message);
        if (!threads_.count(child)) {
          const pid_t group = event == PTRACE_EVENT_CLONE ? thread_group_of(child) : child;
          threads_[child] = group;
          fresh_.insert(child);
        }
        if (threads_[child] == child) {
          add_process(child, threads_[tid]);
          ProcessRecord& record = processes_[child];
          if (record.parent == 0 && child != main_) record.parent = threads_[tid];
          // Until it execs, a forked child runs its parent's program and image.
          if (record.execs == 0) {
            record.program = processes_[threads_[tid]].program;
            record.image_base = processes_[threads_[tid]].image_base;
            record.proc_auxv = processes_[threads_[tid]].proc_auxv;
          }
        }
        resume(tid, 0);
        return;
      }
      case PTRACE_EVENT_SECCOMP: {
        ++result_.getrandom_syscalls;
        ++processes_[threads_[tid]].getrandom_syscalls;
        resume(tid, 0);
        return;
      }
      case PTRACE_EVENT_EXEC: {
        const auto former = static_cast<pid_t>(message);
        if (former != tid) threads_.erase(former);
        threads_[tid] = tid;
        on_exec(tid);
        return;
      }
      default:
        resume(tid, 0);
    }
  }

  void on_exec(pid_t pid) {
    if (pid == main_) main_execed_ = true;
    if (const std::string reason = refusal_reason(pid); !reason.empty()) {
      result_.end = TraceEnd::refused;
      result_.status = 2;
      result_.message = "refused: " + reason;
      stopping_ = true;
      return;
    }
    // Registers set at the exec event itself would be overwritten by
    // execve's return value: move on to its syscall-exit-stop first.
    std::vector<int> deferred;
    if (!run_to_exec_return(pid, deferred)) return;

    std::string error;
    auto injector = SyscallInjector::begin(pid, error);
    Installed installed;
    if (!injector || !install_forged_vdso(*injector, pid, config_.vdso, installed, error) ||
        !injector->finish(error)) {
      fail_and_stop("giving " + program_of(pid) + " (process " + std::to_string(pid) +
                    ") the image: " + error);
      return;
    }
    for (int s : injector->deferred_signals()) deferred.push_back(s);
    ProcessRecord& record = processes_[pid];
    record.program = program_of(pid);
    record.image_base = installed.base;
    record.proc_auxv = saved_auxv_update_name(installed.saved_auxv.how);
    ++record.execs;
    if (installed.saved_auxv.how == SavedAuxvUpdate::not_updated)
      note("/proc/PID/auxv cannot be made to name the image (" + installed.saved_auxv.why_not +
           "): a program that reads its auxiliary vector from there, not from its stack, sees "
           "the kernel's vDSO (first: " +
           record.program + ", process " + std::to_string(pid) + ")");
    resume(pid, deferred.empty() ? 0 : deferred.front());
    for (size_t i = 1; i < deferred.size(); ++i) kill(pid, deferred[i]);
  }

  bool run_to_exec_return(pid_t pid, std::vector<int>& deferred) {
    int signal = 0;
    for (;;) {
      if (ptrace(PTRACE_SYSCALL, pid, nullptr, signal) != 0) {
        fail_and_stop(std::string("PTRACE_SYSCALL after exec: ") + std::strerror(errno));
        return false;
      }
      signal = 0;
      int status = 0;
      if (waitpid(pid, &status, __WALL) != pid) {
        fail_and_stop(std::string("waitpid after exec: ") + std::strerror(errno));
        return false;
      }
      if (!WIFSTOPPED(status)) {
        fail_and_stop("process " + std::to_string(pid) + " ended before its first instruction");
        return false;
      }
      if (WSTOPSIG(status) == kSyscallStop) return true;
      deferred.push_back(WSTOPSIG(status));
    }
  }

  void resume(pid_t tid, int signal) {
    // ESRCH: it was killed meanwhile; its exit is reported by waitpid.
    ptrace(PTRACE_CONT, tid, nullptr, signal);
  }

  // Says `text` once per kind (its words up to the first '('), on stderr
  // through the caller and in the report.
  void note(const std::string& text) {
    const std::string kind = text.substr(0, text.find('('));
    if (!noted_.insert(kind).second) return;
    result_.notes.push_back(text);
    if (config_.on_note) config_.on_note(text);
  }

  void fail_and_stop(const std::string& message) {
    result_.end = TraceEnd::failed;
    result_.status = 2;
    result_.message = message;
    stopping_ = true;
  }

  // Refusals and tracer errors leave nothing running.
  void kill_everything() {
    for (const auto& [tid, group] : threads_) kill(tid, SIGKILL);
    int status = 0;
    while (waitpid(-1, &status, __WALL) > 0 || errno == EINTR) {
    }
  }

  const TraceConfig& config_;
  TraceResult result_;
  pid_t main_ = 0;
  bool main_execed_ = false;
  bool main_ended_ = false;
  bool stopping_ = false;
  std::map<pid_t, pid_t> threads_;  // every traced thread -> its thread group
  std::set<pid_t> fresh_;           // auto-attached, initial SIGSTOP not seen yet
  std::set<std::string> noted_;     // kinds of notes already given
  std::map<pid_t, ProcessRecord> processes_;
  std::vector<pid_t> order_;
};

}  // namespace

int TraceResult::exit_status() const {
  switch (end) {
    case TraceEnd::exited:
      return status;
    case TraceEnd::killed:
      return 128 + status;
    case TraceEnd::not_started:
      return status;
    case TraceEnd::refused:
    case TraceEnd::failed:
      return 2;
  }
  return 2;
}

TraceResult trace_program(const TraceConfig& config) { return Tracer(config).run(); }

}  // namespace vdsoforge::exec
