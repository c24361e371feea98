// vdsoforge ctl SOCKET reseed | ready 0|1 | status
//
// Drives a running `vdsoforge exec --control SOCKET`: forces a reseed, sets
// the RNG-ready flag, or asks for the data page's state.  Prints the reply.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "control_server.h"

namespace vdsoforge::tools {
namespace {

struct CtlOptions {
  std::string socket;
  std::vector<std::string> command;
};

int run(const CtlOptions& options) {
  std::string command;
  for (const std::string& word : options.command) command += (command.empty() ? "" : " ") + word;
  std::string reply, error;
  if (!exec::send_control_command(options.socket, command, reply, error)) {
    std::fprintf(stderr, "vdsoforge ctl: %s\n", error.c_str());
    return 1;
  }
  std::printf("%s\n", reply.c_str());
  return reply.starts_with("ok") ? 0 : 2;
}

const CommandRegistration registration{Command{
    [](CLI::App& sub) -> std::function<int()> {
      auto options = std::make_shared<CtlOptions>();
      sub.footer("Exit status: 0 done, 1 no exec listening on SOCKET, 2 command refused.\n");
      sub.add_option("socket", options->socket, "the socket given to exec --control")->required();
      sub.add_option("command", options->command, "reseed | ready 0|1 | status")
          ->required()
          ->expected(1, 2);
      return [options] { return run(*options); };
    },
    "ctl", "control a running `vdsoforge exec --control SOCKET` (reseed, ready 0|1, status)"}};

}  // namespace
}  // namespace vdsoforge::tools
