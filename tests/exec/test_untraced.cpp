// Programs under `vdsoforge exec` run untraced between their execve calls:
// they stop and continue as they would without exec (kill -STOP, Ctrl-Z and
// fg in an interactive shell, tested in a pseudo-terminal), they may trace
// their own children (the kernel's vdso_test_getrandom, 2/2) and be traced
// (strace inside exec, strace attaching to a program under exec).
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "each_gate.h"
#include "exec_harness.h"
#include "files.h"
#include "skip.h"
#include "tool_runner.h"

using test_support::run_tool;
using test_support::TempDir;
using test_support::ToolResult;
using namespace std::chrono_literals;

namespace {

char process_state(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("State:")) return line.size() > 7 ? line[7] : '?';
  return '?';
}

// Waits up to `limit` for `pid` to be in `state`.
bool reaches_state(pid_t pid, char state, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (process_state(pid) == state) return true;
    std::this_thread::sleep_for(10ms);
  }
  return process_state(pid) == state;
}

// An interactive session on a pseudo-terminal: the child runs `argv` as
// the session leader with the terminal as its controlling terminal.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      setenv("PS1", "vf$ ", 1);
      setenv("TERM", "dumb", 1);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  bool started() const { return pid_ > 0; }
  void type(const std::string& keys) {
    [[maybe_unused]] ssize_t n = write(master_, keys.data(), keys.size());
  }
  // Reads until `pattern` appears in what was read since the last match;
  // `group` gets its first parenthesised group, if any.
  bool expect(const std::string& pattern, std::chrono::milliseconds limit = 20s) {
    std::string ignored;
    return expect(pattern, ignored, limit);
  }
  bool expect(const std::string& pattern, std::string& group,
              std::chrono::milliseconds limit = 20s) {
    const std::regex re(pattern);
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      std::smatch match;
      if (std::regex_search(unread_, match, re)) {
        if (match.size() > 1) group = match[1].str();
        seen_ += unread_.substr(0, static_cast<size_t>(match.position(0) + match.length(0)));
        unread_ = unread_.substr(static_cast<size_t>(match.position(0) + match.length(0)));
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd readable{master_, POLLIN, 0};
      if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) return false;
      char buffer[512];
      const ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) return false;
      unread_.append(buffer, static_cast<size_t>(n));
    }
  }
  std::string transcript() const { return seen_ + unread_; }
  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string seen_, unread_;
};

// Ctrl-Z on a foreground `sleep 30`, then fg and Ctrl-C, in an interactive
// bash whose prompt is "vf$ ".
void suspend_and_resume(Terminal& terminal, const std::string& command) {
  REQUIRE(terminal.expect("vf\\$ $"));
  terminal.type(command + "\n");
  std::this_thread::sleep_for(1500ms);  // the command runs in the foreground
  terminal.type("\x1a");                // Ctrl-Z
  INFO(terminal.transcript());
  REQUIRE(terminal.expect("Stopped"));
  REQUIRE(terminal.expect("vf\\$ $"));
  terminal.type("jobs -l\n");
  std::string job;
  REQUIRE(terminal.expect("\\[1\\]\\+ +([0-9]+) Stopped", job));
  REQUIRE(terminal.expect("vf\\$ $"));
  // Stopped in fact, not only in the shell's books: a tracer that resumed
  // the group-stop would leave the shell saying "Stopped" over a running job.
  const pid_t stopped = static_cast<pid_t>(std::stol(job));
  std::this_thread::sleep_for(300ms);
  CHECK(process_state(stopped) == 'T');
  // When the job is exec itself, the program under it is stopped too.
  std::ifstream children("/proc/" + job + "/task/" + job + "/children");
  for (pid_t child; children >> child;) {
    INFO("child " << child << " of job " << job);
    CHECK(process_state(child) == 'T');
  }
  terminal.type("fg\n");
  REQUIRE(terminal.expect("sleep 30"));
  CHECK(reaches_state(stopped, 'S', 2s));  // running again
  std::this_thread::sleep_for(500ms);
  terminal.type("\x03");  // Ctrl-C ends the resumed job
  REQUIRE(terminal.expect("vf\\$ $"));
  terminal.type("echo after-$((6*7))\n");
  REQUIRE(terminal.expect("after-42"));
  terminal.type("exit\n");
}

// Each case runs behind both of exec's gates (each_gate.h): the fanotify
// gate (the default here, as root) and the seccomp filter (the default
// without CAP_SYS_ADMIN).
using exec_test::each_gate;

}  // namespace

TEST_CASE("kill -STOP stops the program (state T) until kill -CONT") {
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  const auto exec = test_support::start_tool(
      {"exec", "--exec-gate", gate, "--", "sh", "-c", "echo $$; exec sleep 3"});
  const std::string line = test_support::read_line(exec.out, 60'000);
  close(exec.out);
  REQUIRE(!line.empty());
  const pid_t program = static_cast<pid_t>(std::stol(line));
  // Wait for sh to have become sleep (its exec handled), then stop it.
  for (int i = 0;
       i < 500 && !std::filesystem::read_symlink("/proc/" + std::to_string(program) + "/exe")
                       .string()
                       .ends_with("sleep");
       ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(kill(program, SIGSTOP) == 0);
  CHECK(reaches_state(program, 'T', 2s));
  std::this_thread::sleep_for(300ms);
  CHECK(process_state(program) == 'T');  // nothing resumed it
  REQUIRE(kill(program, SIGCONT) == 0);
  CHECK(reaches_state(program, 'S', 2s));
  int status = 0;
  REQUIRE(waitpid(exec.pid, &status, 0) == exec.pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("Ctrl-Z and fg work in an interactive shell run under exec (pseudo-terminal)") {
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  Terminal terminal({VDSOFORGE_TOOL, "exec", "--exec-gate", gate, "-q", "--", "bash", "--norc",
                     "--noprofile", "-i"});
  REQUIRE(terminal.started());
  suspend_and_resume(terminal, "sleep 30");
  CHECK(terminal.wait_exit() == 0);
}

TEST_CASE("Ctrl-Z and fg work on exec run from an interactive shell (pseudo-terminal)") {
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  Terminal terminal({"bash", "--norc", "--noprofile", "-i"});
  REQUIRE(terminal.started());
  suspend_and_resume(terminal,
                     std::string(VDSOFORGE_TOOL) + " exec --exec-gate " + gate + " -q -- sleep 30");
  CHECK(terminal.wait_exit() == 0);
}

TEST_CASE("the kernel's vdso_test_getrandom passes 2/2 on the image, PTRACE_TRACEME included") {
  REQUIRE(std::filesystem::exists(VDSOFORGE_KERNEL_SELFTEST));
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  const ToolResult r = run_tool({"exec", "--exec-gate", gate, "--", VDSOFORGE_KERNEL_SELFTEST});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok 1 getrandom: PASS") != std::string::npos);
  CHECK(r.out.find("ok 2 getrandom timens: PASS") != std::string::npos);
  CHECK(r.out.find("pass:2 fail:0") != std::string::npos);
  // It really ran on the image: with is_ready = 0 the image must fall back
  // to the system call, which its traced child reports as a failure.
  const ToolResult not_ready =
      run_tool({"exec", "--exec-gate", gate, "--not-ready", "--", VDSOFORGE_KERNEL_SELFTEST});
  CHECK(not_ready.exit_code != 0);
  CHECK(not_ready.out.find("passed buffer to syscall getrandom unexpectedly") != std::string::npos);
  exec_test::summary("kernel vdso_test_getrandom under exec --exec-gate " + gate +
                     ": 2/2 (--not-ready: its traced test fails, as it must)");
}

TEST_CASE("strace inside exec works, and a consumer it starts runs on the kernel's vDSO, said once",
          "[consumers]") {
  const auto consumers = exec_test::require_consumers();
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto trace = dir.path("strace.txt");
  const auto report = dir.path("report.json");
  exec_test::Probe probe =
      exec_test::glibc_probe(consumers, {1, 100, 1, 0, ""}, dir.path("samples.bin"));
  std::vector<std::string> args = {"exec", "--exec-gate", gate, "--report", report.string(),
                                   "--",   "strace",      "-f", "-e",       "trace=getrandom",
                                   "-o",   trace.string()};
  args.insert(args.end(), probe.command.begin(), probe.command.end());
  const ToolResult r = run_tool(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("calls=200") != std::string::npos);
  std::ifstream in(trace);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("getrandom(") != std::string::npos);
  CHECK(r.err.find("a program exec'd while another tracer holds its process") != std::string::npos);
}

TEST_CASE("strace attaching to a consumer under exec sees its getrandom traffic on the image",
          "[consumers]") {
  // --not-ready: the image sends every call to the system call, so strace
  // sees one getrandom per call only if the consumer runs on the image.
  const auto consumers = exec_test::require_consumers();
  const std::string gate = each_gate();
  INFO("--exec-gate " << gate);
  TempDir dir;
  const auto trace = dir.path("strace.txt");
  exec_test::Probe probe =
      exec_test::glibc_probe(consumers, {0, 400, 2, 0, "sleep 3"}, dir.path("samples.bin"));
  std::string command;
  for (const std::string& word : probe.command) command += "'" + word + "' ";
  const std::string script = command + "& p=$!; sleep 1; strace -p $p -e trace=getrandom -o " +
                             trace.string() + " & wait $p; wait";
  const ToolResult r =
      run_tool({"exec", "--exec-gate", gate, "--not-ready", "--", "sh", "-c", script});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(trace);
  size_t calls = 0;
  for (std::string line; std::getline(in, line);) calls += line.starts_with("getrandom(");
  // The second step's 200 calls come after strace attached.
  CHECK(calls >= 200);
  exec_test::summary("strace -p on glibc 2.41 under exec --exec-gate " + gate +
                     " --not-ready: " + std::to_string(calls) + " getrandom system calls seen");
}
