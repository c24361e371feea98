#include "control_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "clock_control.h"

namespace vdsoforge::exec {

namespace {

// Room for a command and an absolute path of PATH_MAX bytes (snapshot --to).
constexpr size_t kMaxLine = 4200;

bool make_address(const std::string& path, sockaddr_un& address, std::string& error) {
  address = {};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    error = "control socket path must be 1.." + std::to_string(sizeof address.sun_path - 1) +
            " bytes: " + path;
    return false;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// One line, up to kMaxLine bytes, without its newline.
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (line.size() < kMaxLine && read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::unique_ptr<ControlServer> ControlServer::start(const std::string& path, DataPageDriver& driver,
                                                    std::string& error, FaultInjector* faults,
                                                    std::string data_commands_refused) {
  sockaddr_un address;
  if (!make_address(path, address, error)) return nullptr;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 8) != 0) {
    error = "cannot listen on " + path + ": " + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    close(fd);
    unlink(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<ControlServer>(
      new ControlServer(path, fd, stop_fd, driver, faults, std::move(data_commands_refused)));
}

ControlServer::ControlServer(std::string path, int listen_fd, int stop_fd, DataPageDriver& driver,
                             FaultInjector* faults, std::string data_commands_refused)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      stop_fd_(stop_fd),
      driver_(driver),
      faults_(faults),
      data_commands_refused_(std::move(data_commands_refused)) {
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(listen_fd_);
  close(stop_fd_);
  unlink(path_.c_str());
}

void ControlServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // A client that never sends must not block the channel for ever.
    timeval timeout{2, 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const std::string line = read_line(client);
    // A longer line was cut: acting on its start (a file name cut short)
    // would be wrong.
    write_all(client, (line.size() < kMaxLine ? answer(line)
                                              : "error: a command line longer than " +
                                                    std::to_string(kMaxLine - 1) + " bytes") +
                          "\n");
    close(client);
  }
}

std::optional<std::string> ControlServer::apply_fault(const std::string& command) {
  if (!faults_) return std::nullopt;
  std::optional<FaultAction> action;
  std::string file;
  if (command == "reseed") {
    action = FaultAction::bump;
  } else if (command == "ready 0" || command == "ready 1") {
    action = parse_fault_action({"ready", command.substr(6)});
  } else if (command == "wipe" || command == "snapshot" || command == "restore") {
    action = parse_fault_action({command});
  } else if (command.starts_with("snapshot --to ") || command.starts_with("restore --from ")) {
    const bool take = command.starts_with("snapshot");
    action = take ? FaultAction::snapshot : FaultAction::restore;
    file = command.substr(command.find(' ', take ? 9 : 8) + 1);
    if (!file.starts_with("/"))
      return "error: " + command.substr(0, command.find(' ')) +
             " needs an absolute file name, not '" + file + "'";
  }
  if (!action) return std::nullopt;
  const FaultInjector::Outcome outcome = faults_->apply(*action, "ctl " + command, file);
  if (outcome.failed) return "error: " + outcome.detail;
  return "";
}

std::string ControlServer::answer(const std::string& command) {
  if (!data_commands_refused_.empty()) {
    if (command == "reseed" || command.starts_with("ready") || command.starts_with("clock"))
      return "error: " + data_commands_refused_;
    // The generation and readiness are the kernel's, which exec does not see.
    if (command == "status") return "ok data=kernel";
  }
  if (auto reply = answer_clock_command(command, driver_.page())) return *reply;
  if (auto refusal = apply_fault(command)) {
    // Done and logged by the fault injector.
    if (!refusal->empty()) return *refusal;
  } else if (command == "reseed") {
    driver_.reseed();
  } else if (command == "ready 0" || command == "ready 1") {
    driver_.set_ready(command.back() == '1');
  } else if (command != "status") {
    return "error: unknown command \"" + command +
           "\" (reseed | ready 0|1 | wipe | snapshot [--to FILE] | restore [--from FILE] | status "
           "| clock-offset NS | clock-mode none|kernel | clock)";
  }
  return "ok " + driver_.status();
}

bool send_control_command(const std::string& path, const std::string& command, std::string& reply,
                          std::string& error) {
  sockaddr_un address;
  if (!make_address(path, address, error)) return false;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = "cannot connect to " + path + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  write_all(fd, command + "\n");
  reply = read_line(fd);
  close(fd);
  if (reply.empty()) {
    error = "no reply from " + path;
    return false;
  }
  return true;
}

}  // namespace vdsoforge::exec
