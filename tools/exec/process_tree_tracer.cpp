#include "process_tree_tracer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "bounded_seize.h"
#include "deterministic_replay.h"
#include "exec_filter.h"
#include "exec_witness.h"
#include "fanotify_exec_gate.h"
#include "privileged_program.h"
#include "proc_status.h"
#include "process_tree.h"
#include "program_check.h"
#include "supervised_spawn.h"
#include "syscall_injector.h"

namespace vdsoforge::exec {

namespace {

// Attached only from an execve's notification to the first stop after it;
// PTRACE_O_EXITKILL: should this process die meanwhile, the half-installed
// program dies too instead of running on.
constexpr unsigned long kSeizeOptions =
    PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;
constexpr int kSyscallStop = SIGTRAP | 0x80;  // with PTRACE_O_TRACESYSGOOD
constexpr unsigned kX32Bit = 0x40000000;

std::atomic<pid_t> forward_to{0};
// Forwarded signals that arrived before the program's process was known,
// one bit per signal number; sent as soon as it is (send_pending_signals).
std::atomic<uint64_t> pending_forward{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "used in a signal handler");
std::atomic<int> wake_fd{-1};  // write end of the loop's self-pipe

// Takes every pending bit at most once: the handler and the loop may race
// for them, and whichever wins sends.
void send_pending_signals(pid_t pid) {
  const uint64_t pending = pending_forward.exchange(0);
  for (int signal = 1; signal < 64; ++signal)
    if (pending & (uint64_t{1} << signal)) kill(pid, signal);
}

// Any thread of this process may run it (the signal is process-directed).
// The bit is set before forward_to is read, and the loop stores forward_to
// before it takes the bits: one of the two always sees the signal.
void forward_signal(int signal) {
  const int saved = errno;
  pending_forward.fetch_or(uint64_t{1} << signal);
  if (const pid_t pid = forward_to.load(); pid > 0) send_pending_signals(pid);
  errno = saved;
}

void child_changed(int) {
  const int saved = errno;
  const char byte = 0;
  [[maybe_unused]] ssize_t ignored = write(wake_fd.load(), &byte, 1);
  errno = saved;
}

// SIGINT/SIGTERM/SIGHUP go to the program; SIGCHLD wakes the loop.
class SignalHandling {
 public:
  explicit SignalHandling(int wake_write_end) {
    wake_fd.store(wake_write_end);
    struct sigaction action {};
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    action.sa_handler = forward_signal;
    for (size_t i = 0; i < kForwarded.size(); ++i) sigaction(kForwarded[i], &action, &previous_[i]);
    action.sa_handler = child_changed;
    sigaction(SIGCHLD, &action, &previous_chld_);
  }
  ~SignalHandling() {
    for (size_t i = 0; i < kForwarded.size(); ++i) sigaction(kForwarded[i], &previous_[i], nullptr);
    sigaction(SIGCHLD, &previous_chld_, nullptr);
    forward_to.store(0);
    pending_forward.store(0);
    wake_fd.store(-1);
  }
  SignalHandling(const SignalHandling&) = delete;
  SignalHandling& operator=(const SignalHandling&) = delete;

 private:
  static constexpr std::array<int, 3> kForwarded = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
  struct sigaction previous_chld_ {};
};

// Where execvp would find `program`; "" if nowhere.
std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/bin:/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return dir + "/" + program;
    start = end + 1;
  }
  return {};
}

// The notification and answer records, at the sizes this kernel uses.
class NotificationBuffers {
 public:
  NotificationBuffers() {
    seccomp_notif_sizes sizes{};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0) {
      request_.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
      response_.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
    } else {
      request_.resize(sizeof(seccomp_notif));
      response_.resize(sizeof(seccomp_notif_resp));
    }
  }
  seccomp_notif* request() {
    std::fill(request_.begin(), request_.end(), 0);
    return reinterpret_cast<seccomp_notif*>(request_.data());
  }
  seccomp_notif_resp* response() {
    std::fill(response_.begin(), response_.end(), 0);
    return reinterpret_cast<seccomp_notif_resp*>(response_.data());
  }

 private:
  std::vector<uint64_t> request_, response_;  // uint64_t: aligned for the records
};

class Supervisor {
 public:
  explicit Supervisor(const TraceConfig& config) : config_(config) {}

  TraceResult run() {
    const std::string program = find_program(config_.argv[0]);
    if (const std::string reason = refusal_reason_for_program(config_.argv[0]); !reason.empty())
      return refuse(reason);
    if (config_.refuse_privileged && !program.empty())
      if (const std::string how = privilege_of_file(program); !how.empty())
        return refuse(program + " is privileged (" + how + ") and --refuse-privileged was given");

    const bool needs_filter =
        config_.count_getrandom || config_.count_time || config_.deterministic;
    if (config_.gate == ExecGate::fanotify && needs_filter)
      return refuse(
          "the fanotify gate sees only execs: counting system calls and --deterministic need "
          "the seccomp gate");
    if (config_.gate != ExecGate::seccomp && !needs_filter) {
      std::string why_not;
      gate_ = FanotifyExecGate::create(why_not);
      if (!gate_ && config_.gate == ExecGate::fanotify)
        return refuse("the fanotify gate is not available here (" + why_not + ")");
      if (!gate_) result_.gate_because = why_not;
      if (gate_) witness_ = ExecWitness::open(result_.unwitnessed_because);
      if (gate_ && !witness_ && config_.gate == ExecGate::automatic) {
        // Unwitnessed, an exec the gate misses would pass for one on the
        // image: `auto` takes the gate that misses none.
        gate_.reset();
        result_.gate_because =
            "the fanotify gate could not be witnessed (" + result_.unwitnessed_because + ")";
        result_.unwitnessed_because.clear();
      } else if (gate_ && !witness_) {
        note(
            "the fanotify gate runs unwitnessed: an exec it cannot see (a mount namespace of "
            "the program's own, a memfd) would go unnoticed (" +
            result_.unwitnessed_because + ")");
      }
    } else if (needs_filter) {
      result_.gate_because = "system calls are counted or answered";
    }
    result_.gate = gate_ ? "fanotify" : "seccomp";

    // Orphans of the tree come back here, so the loop can wait for all of
    // them and the tree's lineage stays visible through PPid.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int wake[2];
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
      return fail(std::string("pipe2: ") + std::strerror(errno));
    wake_read_ = wake[0];
    SignalHandling signals(wake[1]);

    const ExecFilter filter(config_.count_getrandom || config_.deterministic, config_.count_time);
    SpawnRequest request{config_.argv, gate_ ? nullptr : &filter, {}};
    if (gate_)
      request.mark_mounts = [this](pid_t child, std::string& why) {
        return gate_->watch(child, why);
      };
    Spawned spawned;
    std::string error;
    if (!spawn_supervised(request, spawned, error)) {
      close(wake[0]);
      close(wake[1]);
      return fail(error);
    }
    main_ = spawned.pid;
    report_fd_ = spawned.report_fd;
    listener_ = spawned.listener;
    forward_to.store(main_);
    send_pending_signals(main_);
    add_process(main_, 0);
    if (gate_) note_unwatched_mounts();
    loop();
    // The tree has ended: every exec it made has been reported by now.
    if (witness_) check_witnessed_execs();
    if (listener_ >= 0) close(listener_);
    if (report_fd_ >= 0) close(report_fd_);
    close(wake[0]);
    close(wake[1]);
    result_.processes.clear();
    for (pid_t p : order_) result_.processes.push_back(processes_[p]);
    if (gate_) result_.unwatched_mounts = gate_->unmarked();
    for (const ExecOpen& open : held_opens_) close(open.file_fd);
    gate_.reset();  // any exec open still waiting is allowed
    return result_;
  }

 private:
  TraceResult refuse(const std::string& reason) {
    result_.end = TraceEnd::refused;
    result_.status = 2;
    result_.message = "refused: " + reason;
    return result_;
  }

  TraceResult fail(const std::string& message) {
    result_.end = TraceEnd::failed;
    result_.message = message;
    return result_;
  }

  ProcessRecord& add_process(pid_t pid, pid_t parent) {
    auto [it, added] = processes_.try_emplace(pid);
    if (!added) return it->second;
    ProcessRecord& record = it->second;
    record.pid = pid;
    record.parent = parent;
    record.program = program_of(pid);
    // Until it execs, a forked child runs its parent's program and image.
    if (auto from = processes_.find(parent); from != processes_.end() && from != it) {
      record.image_base = from->second.image_base;
      record.proc_auxv = from->second.proc_auxv;
      record.kernel_vdso_because = from->second.kernel_vdso_because;
      if (from->second.kernel_vdso_because.size()) exempt_.insert(pid);
    }
    order_.push_back(pid);
    return record;
  }

  ProcessRecord& process_of_thread(pid_t tid) {
    auto known = thread_groups_.find(tid);
    const pid_t group = known != thread_groups_.end() ? known->second : thread_group_of(tid);
    thread_groups_[tid] = group;
    if (processes_.count(group)) return processes_[group];
    return add_process(group, group == main_ ? 0 : parent_of(group));
  }

  void loop() {
    for (;;) {
      reap();
      if (stopping_) {
        kill_tree();
        return;
      }
      if (no_children_) return;
      if (!held_opens_.empty()) {
        // Exec opens that came while another exec was being finished.
        std::vector<ExecOpen> held;
        held.swap(held_opens_);
        for (ExecOpen& open : held) on_exec_open(open);
        continue;
      }
      if (gate_) {
        pollfd fds[4] = {{wake_read_, POLLIN, 0},
                         {gate_->event_fd(), POLLIN, 0},
                         {gate_->mount_table_fd(), POLLPRI, 0},
                         {witness_ ? witness_->fd() : -1, POLLIN, 0}};
        if (!wait_for(fds, 4)) continue;
        if (fds[2].revents & (POLLPRI | POLLERR)) {
          gate_->mark_new_mounts();
          note_unwatched_mounts();
        }
        if (fds[1].revents & POLLIN) {
          for (ExecOpen& open : gate_->take_events()) on_exec_open(open);
          if (const int failure = gate_->read_failure(); failure != 0)
            note(
                "the kernel denied an exec of the tree (EPERM) because exec could not take the "
                "file it asked about (" +
                std::string(std::strerror(failure)) + "; --exec-gate seccomp asks no file)");
        }
        if (fds[3].revents & POLLIN) check_witnessed_execs();
        continue;
      }
      pollfd fds[2] = {{wake_read_, POLLIN, 0}, {listener_, POLLIN, 0}};
      const nfds_t count = listener_ >= 0 ? 2 : 1;
      if (!wait_for(fds, count)) continue;
      if (count == 2 && (fds[1].revents & POLLIN)) {
        handle_notification();
      } else if (count == 2 && fds[1].revents) {
        // No process uses the filter any more.
        close(listener_);
        listener_ = -1;
      }
    }
  }

  // Polls `fds`, whose first is the wake pipe (drained here); false if the
  // poll was interrupted or failed (then the loop stops).
  bool wait_for(pollfd* fds, nfds_t count) {
    if (poll(fds, count, -1) < 0) {
      if (errno != EINTR) fail_and_stop(std::string("poll: ") + std::strerror(errno));
      return false;
    }
    if (fds[0].revents) {
      char drain[64];
      while (read(wake_read_, drain, sizeof drain) > 0) {
      }
    }
    return true;
  }

  // The fanotify gate: a file opened for execution.  The program itself
  // (the first open of an execve) decides; the opens the same call makes
  // afterwards (a script's interpreter, the ELF interpreter) come while
  // finish_exec() holds it and are let through there.
  void on_exec_open(ExecOpen& open) {
    // A process that entered the tree's mount namespace from outside
    // (nsenter, setns) asks too: not exec's to touch.
    if (!in_tree(open.tid)) {
      gate_->allow(open);
      return;
    }
    const std::string file = "/proc/self/fd/" + std::to_string(open.file_fd);
    ExecCall call;
    call.open = open;
    open.file_fd = -1;  // the call owns it now
    on_execve(call, open.tid, file, link_target(file));
  }

  // Execs of the tree the kernel reports as done: each must have asked the
  // gate first.  One that did not ran its program on the kernel's vDSO.
  void check_witnessed_execs() {
    bool lost = false;
    for (pid_t group : witness_->take_execs(lost)) {
      if (auto asked = gated_.find(group); asked != gated_.end() && asked->second > 0) {
        --asked->second;
        continue;
      }
      note_unseen_exec(process_of_thread(group), program_of(group));
    }
    if (lost)
      note(
          "the kernel dropped process events meant for exec (a full buffer): execs the fanotify "
          "gate did not see may have gone unnoticed (--exec-gate seccomp sees every exec)");
  }

  // A program that got no image because its exec never asked the gate.
  void note_unseen_exec(ProcessRecord& record, const std::string& program) {
    record.program = program;
    ++record.execs;
    record.image_base = 0;
    record.proc_auxv.clear();
    record.kernel_vdso_because =
        "exec'd without asking the fanotify gate (the kernel's vDSO, or an inner exec's image)";
    ++result_.unseen_execs;
    note(
        "a program exec'd where the fanotify gate cannot see it does not get the image: it "
        "runs on the kernel's vDSO, or on the image of an exec it runs under (in a mount "
        "namespace of its own, from a memfd, or from a mount not marked yet; first: " +
        (record.program.empty() ? std::string("?") : record.program) + ", process " +
        std::to_string(record.pid) + "; --exec-gate seccomp sees every exec)");
  }

  void note_unwatched_mounts() {
    const std::vector<std::string>& unmarked = gate_->unmarked();
    if (unmarked.empty()) return;
    note(
        "programs exec'd from a mount the fanotify gate cannot watch run on the kernel's vDSO "
        "(first: " +
        unmarked.front() + "; --exec-gate seccomp sees every exec)");
  }

  // Collects ended children (and results stashed while an exec was being
  // handled) without blocking.
  void reap() {
    for (;;) {
      pid_t pid = 0;
      int status = 0;
      if (!stash_.empty()) {
        std::tie(pid, status) = stash_.front();
        stash_.erase(stash_.begin());
      } else {
        pid = waitpid(-1, &status, __WALL | WNOHANG);
        if (pid == 0) return;
        if (pid < 0) {
          if (errno == EINTR) continue;
          if (errno == ECHILD) no_children_ = true;
          return;
        }
      }
      if (WIFSTOPPED(status)) {
        // A stop of a thread this loop no longer handles: let it go.  Only
        // a signal-delivery-stop takes a signal along with the detach (the
        // kernel drops it at every other stop); so its signal goes back.
        const bool signal_delivery =
            (status >> 16) == 0 && WSTOPSIG(status) != kSyscallStop && WSTOPSIG(status) != SIGTRAP;
        ptrace(PTRACE_DETACH, pid, nullptr, signal_delivery ? WSTOPSIG(status) : 0);
        continue;
      }
      if (pid == main_ && !main_ended_) on_main_ended(status);
    }
  }

  void on_main_ended(int status) {
    main_ended_ = true;
    forward_to.store(0);
    if (!main_execed_) {
      const SpawnFailure failure = spawn_failure(report_fd_, config_.argv[0]);
      report_fd_ = -1;
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

  // An execve waiting at one of the gates.
  struct ExecCall {
    uint64_t seccomp_id = 0;
    ExecOpen open;  // the fanotify gate's event (file_fd >= 0)

    ExecCall() = default;
    ExecCall(const ExecCall&) = delete;
    ExecCall& operator=(const ExecCall&) = delete;
    // A call left unanswered (a refusal: kill_tree() ends its caller) still
    // gives its file back; the group answers it when it closes.
    ~ExecCall() {
      if (open.file_fd >= 0) close(open.file_fd);
    }
  };

  // Lets the call go on: the kernel runs it as if no gate had asked.
  void answer(ExecCall& call) {
    if (call.open.file_fd >= 0)
      gate_->allow(call.open);
    else
      answer(call.seccomp_id);
  }

  // Lets the call go on: the kernel runs it as if no filter had asked.
  bool answer(uint64_t id) {
    seccomp_notif_resp* response = buffers_.response();
    response->id = id;
    response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    // ENOENT: the caller died (or gave up waiting) meanwhile.
    return ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, response) == 0;
  }

  void handle_notification() {
    seccomp_notif* request = buffers_.request();
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, request) != 0) return;  // caller gone
    const pid_t tid = static_cast<pid_t>(request->pid);
    const unsigned nr = static_cast<unsigned>(request->data.nr);
    const bool x86_64 = request->data.arch == AUDIT_ARCH_X86_64;
    if (x86_64 && nr == SYS_getrandom) {
      ++result_.getrandom_syscalls;
      ProcessRecord& record = process_of_thread(tid);
      ++record.getrandom_syscalls;
      if (config_.on_getrandom_syscall) config_.on_getrandom_syscall();
      if (config_.deterministic)
        answer_deterministically(*request, record.pid);
      else
        answer(request->id);
      return;
    }
    if (x86_64 && count_time_syscall(nr)) {
      answer(request->id);
      return;
    }
    const bool at = x86_64 ? (nr == SYS_execveat || nr == (545 | kX32Bit)) : nr == 358;
    uint64_t args[6];
    std::copy(std::begin(request->data.args), std::end(request->data.args), args);
    const std::string target = exec_target_path(tid, at, args);
    std::string program;
    if (char* resolved = target.empty() ? nullptr : realpath(target.c_str(), nullptr)) {
      program = resolved;
      free(resolved);
    }
    ExecCall call;
    call.seccomp_id = request->id;
    on_execve(call, tid, target, program);
  }

  // A clock read the image did not serve: counted, then run by the kernel.
  bool count_time_syscall(unsigned nr) {
    for (size_t i = 0; i < kTimeSyscalls.size(); ++i)
      if (kTimeSyscalls[i].nr == nr) {
        ++result_.time_syscalls[i];
        return true;
      }
    return false;
  }

  // --deterministic: the call gets the seed's bytes, not the kernel's.
  void answer_deterministically(const seccomp_notif& request, pid_t pid) {
    std::string why_not;
    config_.deterministic->answer_getrandom(listener_, request, pid, why_not);
    if (!why_not.empty()) note(why_not);
  }

  // --deterministic: the new program's AT_RANDOM bytes come from the seed.
  void seed_at_random(SyscallInjector& injector, ProcessRecord& record) {
    std::string error;
    if (!config_.deterministic->seed_at_random(injector.memory(), injector.saved_registers().rsp,
                                               record.pid, error))
      note("AT_RANDOM could not be taken from the seed (" + error + "; first: " + record.program +
           ", process " + std::to_string(record.pid) + ")");
  }

  // Up the PPid chain from `pid`'s parent: the first ancestor `stop`
  // accepts, else where the chain ends (this process, init, or 0 when a
  // link is gone).  Orphans of the tree come back here (the subreaper), so
  // a process of the tree always leads here; one from elsewhere leads to
  // init.  (exec may itself be init, pid 1, of a pid namespace.)
  template <typename Stop>
  static pid_t walk_up(pid_t pid, Stop stop) {
    pid_t ancestor = parent_of(pid);
    for (int depth = 0; ancestor > 1 && ancestor != getpid() && depth < 4096; ++depth) {
      if (stop(ancestor)) return ancestor;
      ancestor = parent_of(ancestor);
    }
    return ancestor;
  }

  // Whether `tid`'s process descends from this one.
  static bool in_tree(pid_t tid) {
    return walk_up(tid, [](pid_t) { return false; }) == getpid();
  }

  // Whether `group` or an ancestor below this process is privileged
  // (neither this process nor init is ever in exempt_).
  bool exempt_by_lineage(pid_t group) {
    const auto exempt = [this](pid_t pid) { return exempt_.count(pid) != 0; };
    return exempt(group) || exempt(walk_up(group, exempt));
  }

  void exempt(ProcessRecord& record, const std::string& why, const std::string& program) {
    exempt_.insert(record.pid);
    record.kernel_vdso_because = why;
    record.image_base = 0;
    record.proc_auxv.clear();
    note(
        "privileged programs run untraced on the kernel's vDSO, with their privileges, and so "
        "does everything they start (first: " +
        program + ", " + why + "; --refuse-privileged refuses them instead)");
  }

  // `target`: a path this process can open the file by; `program`: its
  // name as the program sees it ("" if unknown).
  void on_execve(ExecCall& call, pid_t tid, const std::string& target, const std::string& program) {
    ProcessRecord& record = process_of_thread(tid);
    const pid_t group = record.pid;
    // This exec asked: its witnessed end is no escape.  The witness may lag
    // several execs behind, hence a count.  (A call this loop does not
    // hold, privileged or traced elsewhere, also counts its interpreters'
    // opens: at worst an escape after it goes unnoticed, never a false one.)
    if (witness_) ++gated_[group];
    if (exempt_by_lineage(group)) {
      if (record.kernel_vdso_because.empty())
        record.kernel_vdso_because = "started by a privileged program";
      exempt_.insert(group);
      answer(call);
      return;
    }
    if (const std::string how = target.empty() ? "" : privilege_of_file(target); !how.empty()) {
      if (config_.refuse_privileged) {
        // Unanswered: the caller waits until kill_tree() ends it.
        result_.end = TraceEnd::refused;
        result_.status = 2;
        result_.message = "refused: process " + std::to_string(group) + " execs a privileged " +
                          "program (" + how + ") and --refuse-privileged was given";
        stopping_ = true;
        return;
      }
      record.program = program.empty() ? target : program;
      exempt(record, "privileged: " + how, record.program);
      answer(call);
      return;
    }
    // What it is about to run, as far as this loop will know (it does not
    // see the outcome of a call it lets through without attaching).
    if (!program.empty()) record.program = program;
    if (const pid_t tracer = tracer_of(tid); tracer != 0) {
      hands_off(record, tracer, call);
      return;
    }
    if (const int error = seize(tid); error != 0) {
      if (error == ETIMEDOUT) {
        // The attach waits for the exec lock: the call is already past its
        // program's open, which the gate did not see, and this is one of its
        // interpreters.  Let it go; the program runs without the image.
        // The witness reports it once done, under its new program's name:
        // the ask counted above must not hide it.  Unwitnessed, it is said
        // now, its program unknown yet.
        answer(call);
        if (witness_)
          --gated_[group];
        else
          note_unseen_exec(record, "");
        return;
      }
      if (const pid_t tracer = tracer_of(tid); tracer != 0) {
        hands_off(record, tracer, call);  // a tracer came first
      } else if (is_dying(tid)) {
        // Killed while it waited (a fatal signal, the forwarded SIGTERM
        // among them, ends an untraced caller even then): it never runs
        // the call, whatever the answer.
        answer(call);
      } else {
        // Alive, untraced, and still not ours to trace (a security module,
        // ptrace_scope): letting it go on would run the program on the
        // kernel's vDSO under a wrong reason.  Unanswered, the call waits
        // for kill_tree().
        fail_and_stop("the kernel refuses to let exec trace process " + std::to_string(group) +
                      " at its execve (PTRACE_SEIZE: " + std::strerror(error) + ")");
      }
      return;
    }
    answer(call);
    // If the call fails, the trap this asks for comes when it returns to user
    // space.  If it succeeds, the exec event comes first (and, as every
    // ptrace stop does, clears the pending trap).
    ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
    finish_exec(tid, group);
  }

  // PTRACE_SEIZE: 0, or the errno of the last try.  Tried again while
  // nothing explains a refusal: the kernel refuses a thread that is still
  // attached elsewhere or already exiting, and both can be passing states.
  // ETIMEDOUT: the attach waited for the process's exec lock
  // (bounded_seize.h).
  static int seize(pid_t tid) {
    int error = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
      // An attach takes microseconds; a quarter of a second is a wait for
      // the lock even on a loaded machine.
      error = seize_within(tid, kSeizeOptions, std::chrono::milliseconds(250));
      if (error != EPERM || tracer_of(tid) != 0 || is_dying(tid)) break;
      usleep(1000);
    }
    return error;
  }

  void hands_off(ProcessRecord& record, pid_t tracer, ExecCall& call) {
    const std::string by =
        tracer > 0 ? "process " + std::to_string(tracer) + " (" + command_of(tracer) + ")"
                   : "another process";
    record.kernel_vdso_because = "traced by " + by;
    record.image_base = 0;
    record.proc_auxv.clear();
    note(
        "a program exec'd while another tracer holds its process runs on the kernel's vDSO (a "
        "process has one tracer; first: process " +
        std::to_string(record.pid) + ", traced by " + by +
        "); a tracer that attaches after the exec sees the image");
    answer(call);
  }

  // The next wait result of any child.  With the fanotify gate the call
  // held now may open more files for execution (its interpreters) and
  // waits for their answers before it can stop: they are let through here,
  // and other execs' opens are held for the loop.
  pid_t wait_during_exec(pid_t tid, int& status) {
    if (!gate_) return waitpid(-1, &status, __WALL);
    for (;;) {
      const pid_t waited = waitpid(-1, &status, __WALL | WNOHANG);
      if (waited != 0) return waited;
      // SIGCHLD writes to the wake pipe, so a stop after the waitpid above
      // still ends this poll.
      pollfd fds[2] = {{wake_read_, POLLIN, 0}, {gate_->event_fd(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;  // the caller reports poll's errno
      }
      char drain[64];
      while (fds[0].revents && read(wake_read_, drain, sizeof drain) > 0) {
      }
      if (!(fds[1].revents & POLLIN)) continue;
      for (ExecOpen& open : gate_->take_events()) {
        if (open.tid == tid)
          gate_->allow(open);
        else
          held_opens_.push_back(open);
      }
    }
  }

  void finish_exec(pid_t tid, pid_t group) {
    bool execed = false;
    pid_t current = tid;
    std::vector<int> deferred;
    for (;;) {
      int status = 0;
      const pid_t waited = wait_during_exec(tid, status);
      if (waited < 0) {
        if (errno == EINTR) continue;
        fail_and_stop(std::string("waiting for the exec: ") + std::strerror(errno));
        return;
      }
      if ((waited != tid && waited != group) || !WIFSTOPPED(status)) {
        stash_.emplace_back(waited, status);
        if (waited == tid || waited == group) return;  // it died during the exec
        continue;
      }
      current = waited;
      const int signal = WSTOPSIG(status);
      const int event = status >> 16;
      if (event == PTRACE_EVENT_EXEC) {
        // Registers set here would be overwritten by execve's return value:
        // the image goes in at the call's syscall-exit-stop, still before
        // the new program's first instruction.
        execed = true;
        ptrace(PTRACE_SYSCALL, current, nullptr, nullptr);
        continue;
      }
      if (execed && signal == kSyscallStop) break;
      if (!execed && event == PTRACE_EVENT_STOP && signal == SIGTRAP) break;  // the failed call
      if (signal == kSyscallStop || (event == PTRACE_EVENT_STOP && signal == SIGTRAP)) {
        ptrace(execed ? PTRACE_SYSCALL : PTRACE_CONT, current, nullptr, nullptr);
        continue;
      }
      // A signal (or another thread's group-stop) while held: delivered
      // again once the program is let go.
      deferred.push_back(signal);
      // Every ptrace stop clears a pending interrupt: one sent just before
      // this stop would never come, and a failed call would be waited for
      // forever.  Ask again; a second trap is discarded by the detach.
      if (!execed) ptrace(PTRACE_INTERRUPT, current, nullptr, nullptr);
      ptrace(execed ? PTRACE_SYSCALL : PTRACE_CONT, current, nullptr, nullptr);
    }
    if (execed) install(current, deferred);
    if (!execed && gated_[group] > 0) --gated_[group];  // the call failed: nothing to witness
    if (stopping_) return;                              // kill_tree() ends it
    ptrace(PTRACE_DETACH, current, nullptr, nullptr);
    // The signals held back go to the same thread again, now untraced.  Not
    // through the detach's signal argument: the kernel delivers that only
    // from a signal-delivery-stop, and a failed call is left at the
    // interrupt's trap, where it would be dropped without a trace (a
    // SIGTERM forwarded during a PATH search's failed execve was lost so).
    for (int signal : deferred) syscall(SYS_tgkill, group, current, signal);
  }

  void install(pid_t pid, std::vector<int>& deferred) {
    if (pid == main_) main_execed_ = true;
    thread_groups_[pid] = pid;
    ProcessRecord& record = processes_.count(pid) ? processes_[pid] : add_process(pid, 0);
    record.program = program_of(pid);
    ++record.execs;
    if (const std::string reason = refusal_reason(pid); !reason.empty()) {
      result_.end = TraceEnd::refused;
      result_.status = 2;
      result_.message = "refused: " + reason;
      stopping_ = true;
      return;
    }
    // A privileged program that was not seen as one before the call (its
    // name was unreadable or changed meanwhile): leave it alone now.
    if (const std::string how = privilege_of_process(pid); !how.empty()) {
      if (config_.refuse_privileged) {
        result_.end = TraceEnd::refused;
        result_.status = 2;
        result_.message = "refused: " + record.program + " is privileged (" + how +
                          ") and --refuse-privileged was given";
        stopping_ = true;
        return;
      }
      exempt(record, "privileged: " + how, record.program);
      return;
    }
    std::string error;
    auto injector = SyscallInjector::begin(pid, error);
    Installed installed;
    if (!injector || !install_forged_vdso(*injector, pid, config_.vdso, installed, error) ||
        !injector->finish(error)) {
      fail_and_stop("giving " + record.program + " (process " + std::to_string(pid) +
                    ") the image: " + error);
      return;
    }
    if (config_.deterministic) seed_at_random(*injector, record);
    for (int s : injector->deferred_signals()) deferred.push_back(s);
    record.image_base = installed.base;
    record.proc_auxv = saved_auxv_update_name(installed.saved_auxv.how);
    record.kernel_vdso_because.clear();
    if (installed.saved_auxv.how == SavedAuxvUpdate::not_updated)
      note("/proc/PID/auxv cannot be made to name the image (" + installed.saved_auxv.why_not +
           "): a program that reads its auxiliary vector from there, not from its stack, sees "
           "the kernel's vDSO (first: " +
           record.program + ", process " + std::to_string(pid) + ")");
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

  // Every process below this one, from /proc (PPid links).
  std::vector<pid_t> descendants() { return processes_below(getpid()); }

  // Refusals and supervisor errors leave nothing running.  A process may
  // fork between a scan and the kill: scan again until nothing is left.
  void kill_tree() {
    for (;;) {
      const std::vector<pid_t> alive = descendants();
      for (pid_t pid : alive) kill(pid, SIGKILL);
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
      }
      if (alive.empty() && pid < 0 && errno == ECHILD) return;
      usleep(2000);
    }
  }

  const TraceConfig& config_;
  std::unique_ptr<FanotifyExecGate> gate_;  // null: the seccomp gate
  std::unique_ptr<ExecWitness> witness_;    // with the fanotify gate, if the kernel allows
  std::map<pid_t, unsigned> gated_;         // execs that asked the gate, not witnessed yet
  std::vector<ExecOpen> held_opens_;        // fanotify events met while finishing an exec
  NotificationBuffers buffers_;
  TraceResult result_;
  pid_t main_ = 0;
  int listener_ = -1;
  int report_fd_ = -1;
  int wake_read_ = -1;
  bool main_execed_ = false;
  bool main_ended_ = false;
  bool stopping_ = false;
  bool no_children_ = false;
  std::vector<std::pair<pid_t, int>> stash_;  // wait results met while handling an exec
  std::map<pid_t, pid_t> thread_groups_;      // thread -> its process, as seen
  std::set<pid_t> exempt_;                    // processes on the kernel's vDSO by privilege
  std::set<std::string> noted_;               // kinds of notes already given
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

TraceResult trace_program(const TraceConfig& config) { return Supervisor(config).run(); }

}  // namespace vdsoforge::exec
