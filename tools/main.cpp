// vdsoforge: build-side checks, inspection and use of vDSO images.
//
// Every message the tool writes to stderr starts with "vdsoforge: " (about
// the command line as a whole) or "vdsoforge <command>: " (from a command,
// including CLI11's own usage errors), so a log line always says which
// command it came from.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "command.h"
#include "finish_image.h"
#include "man_page.h"

namespace vdsoforge::tools {

std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}

std::vector<std::string>& program_command_line() {
  static std::vector<std::string> words;
  return words;
}

}  // namespace vdsoforge::tools

namespace {

std::string command_names() {
  std::string names;
  for (const auto& command : vdsoforge::tools::command_registry())
    names += (names.empty() ? "" : ", ") + std::string(command.name);
  return names;
}

bool is_command(const char* word) {
  for (const auto& command : vdsoforge::tools::command_registry())
    if (std::strcmp(command.name, word) == 0) return true;
  return false;
}

// --help, --version: the options the tool itself takes before a command.
bool is_top_level_option(const CLI::App& app, const char* word) {
  const std::string name(word);
  return app.get_option_no_throw(name.substr(0, name.find('='))) != nullptr;
}

// CLI11's usage line, plus the program's command line for a command that
// runs one (prefix_command: `exec`), which CLI11 does not know it takes.
class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    if (app->get_prefix_command() && usage.ends_with('\n'))
      usage.insert(usage.size() - 1, " [--] PROGRAM [ARGS...]");
    return usage;
  }
};

// CLI11's usage errors with the common prefix, naming the command that was
// being parsed when there is one.
std::string usage_error(const CLI::App* app, const CLI::Error& e) {
  std::string who = "vdsoforge";
  for (const CLI::App* sub : app->get_subcommands()) who += " " + sub->get_name();
  return who + ": " + e.what() + "\nRun '" + who + " --help' for more information.\n";
}

}  // namespace

int main(int argc, char** argv) {
  using vdsoforge::tools::command_registry;
  CLI::App app{"vdsoforge - build, inspect, verify and run x86-64 getrandom vDSO images"};
  app.set_version_flag("--version", VDSOFORGE_VERSION_STRING);
  app.require_subcommand(1);
  app.failure_message(usage_error);
  app.formatter(std::make_shared<UsageFormatter>());  // inherited by every command

  std::function<int()> to_run;
  for (auto& command : command_registry()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    auto runner = command.setup(*sub);
    sub->callback([&to_run, runner] { to_run = runner; });
  }

  // Not an option of the CLI: the build's way to write vdsoforge.1.
  if (argc == 2 && std::strcmp(argv[1], "--generate-man-page") == 0) {
    std::fputs(vdsoforge::tools::man_page(app).c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 2;
  }

  // Not an option of the CLI either: the image build's step after linking
  // (VdsoforgeImage.cmake; see finish_image.h).
  if (argc == 3 && std::strcmp(argv[1], "--finish-image") == 0) {
    std::string error;
    if (vdsoforge::tools::finish_image(argv[2], error)) return 0;
    std::fprintf(stderr, "vdsoforge: --finish-image: %s\n", error.c_str());
    return 2;
  }

  // CLI11 would call a misspelt command "A subcommand is required"; name it.
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr, "vdsoforge: unknown command '%s' (commands: %s)\n", argv[1],
                 command_names().c_str());
    std::fprintf(stderr, "Run 'vdsoforge --help' for more information.\n");
    return 2;
  }
  // CLI11 would answer an unknown option before the command with "A
  // subcommand is required"; name the option instead.
  if (argc > 1 && argv[1][0] == '-' && !is_top_level_option(app, argv[1])) {
    std::fprintf(stderr, "vdsoforge: unknown option '%s' (commands: %s)\n", argv[1],
                 command_names().c_str());
    std::fprintf(stderr, "Run 'vdsoforge --help' for more information.\n");
    return 2;
  }
  if (argc == 1) {
    std::fprintf(stderr, "vdsoforge: a command is required (commands: %s)\n",
                 command_names().c_str());
    std::fprintf(stderr, "Run 'vdsoforge --help' for more information.\n");
    return 2;
  }

  // A command that runs another program (prefix_command: `exec`) takes the
  // first word that is not one of its options, or the word after "--", and
  // everything after it, as that program's command line, untouched.  It is
  // split off here, because CLI11 would still read a later "--" as its own.
  std::vector<char*> args(argv, argv + argc);
  if (is_command(argv[1]) && app.get_subcommand(argv[1])->get_prefix_command()) {
    const CLI::App& sub = *app.get_subcommand(argv[1]);
    size_t program = args.size(), head = args.size();
    for (size_t i = 2; i < args.size(); ++i) {
      const std::string word = args[i];
      if (word == "--") {
        head = i, program = i + 1;
        break;
      }
      if (!word.starts_with('-')) {
        head = program = i;
        break;
      }
      const CLI::Option* option = sub.get_option_no_throw(word.substr(0, word.find('=')));
      if (!option) {
        // Not one of the command's options: handed to the command as the
        // start of the program's command line, so it refuses this word by
        // name rather than CLI11 blaming a later one.
        head = program = i;
        break;
      }
      // An option with its value in the next word: skip the value.  A flag
      // expects no value (CLI11 itself tells flags by get_expected_min() == 0;
      // a bool flag's type size is 1).
      if (option->get_expected_min() > 0 && word.find('=') == std::string::npos) ++i;
    }
    vdsoforge::tools::program_command_line().assign(
        args.begin() + static_cast<std::ptrdiff_t>(program), args.end());
    args.resize(head);
  }

  try {
    app.parse(static_cast<int>(args.size()), args.data());
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
