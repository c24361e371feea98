#include "tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace test_support {

namespace {

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  return text;
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& args) {
  std::vector<std::string> argv{VDSOFORGE_TOOL};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

ToolResult run_program(const std::vector<std::string>& argv_strings_in) {
  // Temporary files rather than pipes: the tool's output can be large (the
  // embed header) and nothing here has to read while it runs.
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  if (out == nullptr || err == nullptr) throw std::runtime_error("tmpfile failed");

  std::vector<std::string> argv_strings = argv_strings_in;
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fileno(out), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fileno(err), STDERR_FILENO);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0)
    throw std::system_error(spawn_error, std::generic_category(), "posix_spawn");

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  }
  ToolResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_all(out);
  result.err = read_all(err);
  std::fclose(out);
  std::fclose(err);
  return result;
}

RunningTool start_tool(const std::vector<std::string>& args, bool own_process_group) {
  std::vector<std::string> argv_strings{VDSOFORGE_TOOL};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  if (own_process_group) {
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out[1]);
  if (spawn_error != 0) {
    close(out[0]);
    throw std::system_error(spawn_error, std::generic_category(), "posix_spawn");
  }
  return {pid, out[0]};
}

std::string read_line(int fd, int timeout_ms) {
  std::string line;
  char byte = 0;
  for (;;) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, timeout_ms) != 1 || read(fd, &byte, 1) != 1) return "";
    if (byte == '\n') return line;
    line.push_back(byte);
  }
}

std::vector<std::string> words(std::string_view command_line) {
  std::vector<std::string> result;
  size_t at = 0;
  while (at < command_line.size()) {
    const size_t begin = command_line.find_first_not_of(' ', at);
    if (begin == std::string_view::npos) break;
    const size_t end = std::min(command_line.find(' ', begin), command_line.size());
    result.emplace_back(command_line.substr(begin, end - begin));
    at = end;
  }
  return result;
}

}  // namespace test_support
