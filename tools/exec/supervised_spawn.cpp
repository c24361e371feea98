#include "supervised_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vdsoforge::exec {

namespace {

enum Stage : int { kFilter = 1, kHandOver = 2, kExec = 3, kMountNamespace = 4 };

struct ChildReport {
  int stage;
  int error;
};

// In the child between fork and execve only async-signal-safe calls.
[[noreturn]] void child_fail(int fd, Stage stage, int error, int status) {
  const ChildReport report{stage, error};
  [[maybe_unused]] ssize_t ignored = write(fd, &report, sizeof report);
  _exit(status);
}

// One byte of data carrying room for one descriptor (SCM_RIGHTS): the
// message both ends of the hand-over use.  Async-signal-safe to build.
struct DescriptorMessage {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};

  DescriptorMessage() {
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
  }
  DescriptorMessage(const DescriptorMessage&) = delete;
  DescriptorMessage& operator=(const DescriptorMessage&) = delete;
};

bool send_fd(int socket, int fd) {
  DescriptorMessage message;
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  return sendmsg(socket, &message.header, MSG_NOSIGNAL) == 1;
}

// -1 if the other end closed without sending one.
int receive_fd(int socket) {
  DescriptorMessage message;
  ssize_t n;
  do n = recvmsg(socket, &message.header, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != 1) return -1;
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  if (!header || header->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

}  // namespace

bool spawn_supervised(const SpawnRequest& request, Spawned& spawned, std::string& error) {
  std::vector<char*> argv;
  for (const std::string& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  int report[2], channel[2];
  if (pipe2(report, O_CLOEXEC) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
    error = std::string("pipe2/socketpair: ") + std::strerror(errno);
    return false;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {report[0], report[1], channel[0], channel[1]}) close(fd);
    return false;
  }
  if (pid == 0) {
    close(report[0]);
    close(channel[0]);
    if (request.filter) {
      const int listener = request.filter->install();
      if (listener < 0) child_fail(report[1], kFilter, -listener, 2);
      // The program must not inherit the listener: it would answer itself.
      if (!send_fd(channel[1], listener)) child_fail(report[1], kHandOver, errno, 2);
      close(listener);
    } else {
      // The propagation of each mount stays as it was: what the program
      // mounts is seen outside as it would be without exec, and the other
      // way round.
      if (unshare(CLONE_NEWNS) != 0) child_fail(report[1], kMountNamespace, errno, 2);
      char byte = 0;
      if (write(channel[1], &byte, 1) != 1) child_fail(report[1], kHandOver, errno, 2);
      // Go on once the mounts are marked; end (with nothing to say) if the
      // parent gave up.
      if (read(channel[1], &byte, 1) != 1) _exit(2);
    }
    close(channel[1]);
    execvp(argv[0], argv.data());
    const int e = errno;
    child_fail(report[1], kExec, e, e == ENOENT ? 127 : 126);
  }
  close(report[1]);
  close(channel[1]);
  spawned.pid = pid;
  spawned.report_fd = report[0];
  if (request.filter) {
    spawned.listener = receive_fd(channel[0]);
  } else {
    char byte = 0;
    ssize_t n;
    do n = read(channel[0], &byte, 1);
    while (n < 0 && errno == EINTR);
    // n != 1: the child failed before its namespace was ready and has said
    // why through the report pipe.
    if (n == 1 && !request.mark_mounts(pid, error)) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, __WALL);
      close(channel[0]);
      close(report[0]);
      return false;
    }
    if (n == 1 && write(channel[0], &byte, 1) != 1) {
      error = std::string("starting the program: ") + std::strerror(errno);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, __WALL);
      close(channel[0]);
      close(report[0]);
      return false;
    }
  }
  close(channel[0]);
  return true;
}

SpawnFailure spawn_failure(int report_fd, const std::string& program) {
  ChildReport report{};
  const ssize_t n = read(report_fd, &report, sizeof report);
  close(report_fd);
  if (n != sizeof report) return {};
  const std::string reason = std::strerror(report.error);
  switch (report.stage) {
    case kFilter:
      if (report.error == EBUSY)  // one listener per chain of filters
        return {2,
                "refused: another seccomp listener already watches this process (vdsoforge "
                "exec under vdsoforge exec, or a sandbox that uses seccomp user "
                "notifications): the kernel allows one"};
      return {2,
              "refused: this kernel does not accept the seccomp user-notification filter exec "
              "needs (" +
                  reason + ")"};
    case kMountNamespace:
      return {2,
              "refused: the program could not be given a mount namespace of its own for the "
              "fanotify gate (unshare: " +
                  reason + "); --exec-gate seccomp needs none"};
    case kHandOver:
      return {2,
              "the program's process could not hand over its filter descriptor (" + reason + ")"};
    default:
      return {report.error == ENOENT ? 127 : 126, program + ": " + reason};
  }
}

}  // namespace vdsoforge::exec
