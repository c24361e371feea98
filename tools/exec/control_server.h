// The control channel of `vdsoforge exec --control SOCKET`: a Unix stream
// socket on which `vdsoforge ctl` sends one command line and reads one reply.
//
//   reseed       -> "ok generation=G ready=R reseeds=N mode=M"
//   ready 0|1    -> the same, after setting is_ready
//   status       -> the same
//   snapshot     -> the same, after saving the tree's state pages
//   restore      -> the same, after writing them back
//   snapshot --to FILE / restore --from FILE (FILE absolute)
//                -> the same through a file, into another run (a clone);
//                   "error: ..." when the file cannot be written or read, or
//                   its states do not fit the program (state_snapshot.h)
//   wipe         -> the same, after dropping the tree's MAP_DROPPABLE pages
//                   (fault_injector.h; all but status are logged as
//                   fault events when an injector is given)
//   clock-offset NS | clock-mode none|kernel | clock
//                -> "ok clock_offset=NS clock_mode=M time_mode=T" (clock_control.h)
// anything else  -> "error: ..."
// With exec --kernel-data the program reads the kernel's own data pages:
// reseed, ready and the clock commands are refused ("error: WHY"), status
// answers "ok data=kernel".
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "data_page_driver.h"
#include "fault_injector.h"

namespace vdsoforge::exec {

class ControlServer {
 public:
  // nullptr with error set if the socket cannot be created at `path`.  A
  // non-empty `data_commands_refused` says why the commands that change the
  // data pages (reseed, ready, clock-offset, clock-mode) and show them
  // (clock) cannot be served.
  static std::unique_ptr<ControlServer> start(const std::string& path, DataPageDriver& driver,
                                              std::string& error, FaultInjector* faults = nullptr,
                                              std::string data_commands_refused = "");
  ~ControlServer();  // stops serving, removes the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(std::string path, int listen_fd, int stop_fd, DataPageDriver& driver,
                FaultInjector* faults, std::string data_commands_refused);
  // The commands that are fault events: nullopt if `command` is none of
  // them, else "" when done or the "error: ..." reply when refused.
  std::optional<std::string> apply_fault(const std::string& command);
  void serve();
  std::string answer(const std::string& command);

  std::string path_;
  int listen_fd_;
  int stop_fd_;  // eventfd that wakes serve() to end
  DataPageDriver& driver_;
  FaultInjector* faults_;
  const std::string data_commands_refused_;
  std::thread thread_;
};

// The client side (`vdsoforge ctl`): the reply line, or error set.
bool send_control_command(const std::string& path, const std::string& command, std::string& reply,
                          std::string& error);

}  // namespace vdsoforge::exec
