#include "exec_witness.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace vdsoforge::exec {

namespace {

// The subscription: a netlink header, the connector header, then the
// operation, laid out back to back as the kernel reads them.
struct Subscription {
  alignas(nlmsghdr) unsigned char bytes[NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))];
};

// `ack` comes back in the kernel's answer as ack + 1, which other
// listeners' answers on the same multicast group do not carry (the kernel
// numbers every message it sends itself: `seq` does not come back).
Subscription subscription_message(proc_cn_mcast_op operation, __u32 ack) {
  Subscription message{};
  nlmsghdr netlink{};
  netlink.nlmsg_len = sizeof message.bytes;
  netlink.nlmsg_type = NLMSG_DONE;
  netlink.nlmsg_pid = static_cast<__u32>(getpid());
  cn_msg connector{};
  connector.id = {CN_IDX_PROC, CN_VAL_PROC};
  connector.ack = ack;
  connector.len = sizeof(proc_cn_mcast_op);
  std::memcpy(message.bytes, &netlink, sizeof netlink);
  std::memcpy(message.bytes + NLMSG_HDRLEN, &connector, sizeof connector);
  std::memcpy(message.bytes + NLMSG_HDRLEN + sizeof connector, &operation, sizeof operation);
  return message;
}

}  // namespace

std::unique_ptr<ExecWitness> ExecWitness::open(std::string& error) {
  std::unique_ptr<ExecWitness> witness(new ExecWitness);
  witness->self_ = getpid();
  witness->socket_ =
      socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
  if (witness->socket_ < 0) {
    error = std::string("netlink connector socket: ") + std::strerror(errno);
    return nullptr;
  }
  // Every process event of the machine comes here, not only execs (kernels
  // before 6.6 cannot filter): room for bursts of them.
  const int buffer = 4 << 20;
  setsockopt(witness->socket_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  if (bind(witness->socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = std::string("binding to the process-events connector: ") + std::strerror(errno);
    return nullptr;
  }
  const auto ack = static_cast<__u32>(getpid());
  const Subscription listen = subscription_message(PROC_CN_MCAST_LISTEN, ack);
  if (send(witness->socket_, listen.bytes, sizeof listen.bytes, 0) !=
      static_cast<ssize_t>(sizeof listen.bytes)) {
    error = std::string("subscribing to process events: ") + std::strerror(errno);
    return nullptr;
  }
  witness->subscribed_ = true;
  // The kernel answers a subscription it takes (PROC_EVENT_NONE, err 0) and
  // ignores, silently, one from outside the initial user and pid
  // namespaces, whose pids its events would not match anyway.
  if (!witness->await_answer(ack + 1, error)) return nullptr;
  return witness;
}

bool ExecWitness::await_answer(__u32 ack, std::string& error) {
  alignas(nlmsghdr) char buffer[8192];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd readable{socket_, POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    const ssize_t n = recv(socket_, buffer, sizeof buffer, 0);
    if (n <= 0) continue;
    size_t left = static_cast<size_t>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, left);
         header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_event))) continue;
      const auto* message = reinterpret_cast<const cn_msg*>(NLMSG_DATA(header));
      if (message->ack != ack) continue;
      proc_event event;
      std::memcpy(&event, message->data, sizeof event);
      if (event.what != proc_event::PROC_EVENT_NONE) continue;
      if (event.event_data.ack.err == 0) return true;
      error = std::string("the kernel refused the process-events subscription: ") +
              std::strerror(static_cast<int>(event.event_data.ack.err));
      return false;
    }
  }
  error =
      "the kernel did not answer the process-events subscription (exec runs outside the "
      "initial user or pid namespace)";
  return false;
}

ExecWitness::~ExecWitness() {
  if (socket_ < 0) return;
  // The kernel counts listeners and keeps building events for the whole
  // machine until each one says it stopped; closing the socket does not.
  if (subscribed_) {
    const Subscription ignore = subscription_message(PROC_CN_MCAST_IGNORE, 0);
    [[maybe_unused]] const ssize_t sent = send(socket_, ignore.bytes, sizeof ignore.bytes, 0);
  }
  close(socket_);
}

std::vector<pid_t> ExecWitness::take_execs(bool& lost) {
  std::vector<pid_t> execs;
  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    const ssize_t n = recv(socket_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      lost = true;
      continue;
    }
    if (n <= 0) break;  // EAGAIN: nothing more
    size_t left = static_cast<size_t>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, left);
         header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_event))) continue;
      const auto* message = reinterpret_cast<const cn_msg*>(NLMSG_DATA(header));
      if (message->id.idx != CN_IDX_PROC || message->len < sizeof(proc_event)) continue;
      proc_event event;
      std::memcpy(&event, message->data, sizeof event);
      switch (event.what) {
        case proc_event::PROC_EVENT_FORK: {
          const auto& fork = event.event_data.fork;
          // A new process (not a thread) of a process of the tree, or of
          // this one (the program exec starts).
          if (fork.child_pid != fork.child_tgid) break;  // a thread
          // A number leaves the tree only when a process outside it gets it
          // again (not when the process's first thread ends: the others,
          // or an exec from one of them, carry the process on).
          if (fork.parent_tgid == self_ || tree_.count(fork.parent_tgid))
            tree_.insert(fork.child_tgid);
          else
            tree_.erase(fork.child_tgid);
          break;
        }
        case proc_event::PROC_EVENT_EXEC:
          if (tree_.count(event.event_data.exec.process_tgid))
            execs.push_back(event.event_data.exec.process_tgid);
          break;
        default:
          break;
      }
    }
  }
  return execs;
}

}  // namespace vdsoforge::exec
