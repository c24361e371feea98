// Hears, after the fact, every successful execve on the machine (the
// kernel's process-events connector, PROC_EVENT_EXEC), so that the fanotify
// gate can tell when a program of the tree ran without asking it: exec from
// a mount namespace the program made itself, or from a mount the gate had
// not marked yet.  Too late to give that program the image (the connector
// speaks once the new program is in place), but in time to say so instead
// of letting it pass for a run on the image.
//
// The kernel serves it to processes of the initial user and pid namespaces
// (and, before Linux 6.6, only with CAP_NET_ADMIN); elsewhere the gate runs
// unwitnessed and the report says so.
#pragma once

#include <linux/types.h>
#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vdsoforge::exec {

class ExecWitness {
 public:
  // Watches the processes this one forks from now on, and all they fork
  // (followed by fork events, so a process that ends before anyone looks
  // at /proc is still known); nullptr with `error` set if the kernel will
  // not tell this process.
  static std::unique_ptr<ExecWitness> open(std::string& error);
  ~ExecWitness();
  ExecWitness(const ExecWitness&) = delete;
  ExecWitness& operator=(const ExecWitness&) = delete;

  int fd() const { return socket_; }
  // Processes of the tree (thread group ids) that completed an execve since
  // the last call, in order.  Sets `lost` if the kernel dropped messages
  // meanwhile (a full receive buffer).
  std::vector<pid_t> take_execs(bool& lost);

 private:
  ExecWitness() = default;
  bool await_answer(__u32 ack, std::string& error);

  int socket_ = -1;
  bool subscribed_ = false;
  pid_t self_ = 0;
  std::set<pid_t> tree_;
};

}  // namespace vdsoforge::exec
