// vdsoforge: build-side checks, inspection and use of vDSO images.
#include <cstdio>
#include <exception>

#include "command.h"

namespace vdsoforge::tools {

std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}

}  // namespace vdsoforge::tools

int main(int argc, char** argv) {
  using vdsoforge::tools::command_registry;
  CLI::App app{"vdsoforge - build, inspect, verify and run x86-64 getrandom vDSO images"};
  app.set_version_flag("--version", VDSOFORGE_VERSION_STRING);
  app.require_subcommand(1);

  std::function<int()> to_run;
  for (auto& command : command_registry()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    auto runner = command.setup(*sub);
    sub->callback([&to_run, runner] { to_run = runner; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help / usage errors; wrong arguments exit 2.
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  try {
    return to_run ? to_run() : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vdsoforge: %s\n", e.what());
    return 2;
  }
}
