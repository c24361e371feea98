// Running a piece of a test in a forked child.
//
// Seccomp filters cannot be removed and signal dispositions leak between test
// steps, so anything that changes the process for good runs in a child.  The
// child must not touch Catch2 (its assertions would unwind into a copy of the
// test runner), so it only fills a result struct in shared memory; the parent
// checks it.
#pragma once

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <type_traits>

namespace conformance {

struct ChildStatus {
  bool ok = false;
  std::string problem;  // why not ok, for the test's failure message
};

// Runs body(result) in a child; `result` lives in MAP_SHARED memory and is
// value-initialised first.  The child is killed after `timeout_seconds`, so a
// hang is reported as a failure instead of stalling the suite.
template <typename Result, typename Body>
requires std::is_trivially_copyable_v<Result> ChildStatus
run_in_child(Result& out, Body&& body, unsigned timeout_seconds = 60) {
  void* shared =
      mmap(nullptr, sizeof(Result), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED)
    return {false, std::string("mmap(MAP_SHARED): ") + std::strerror(errno)};
  auto* result = new (shared) Result{};
  std::fflush(nullptr);  // no buffered output may be printed twice
  const pid_t pid = fork();
  if (pid < 0) {
    munmap(shared, sizeof(Result));
    return {false, std::string("fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    alarm(timeout_seconds);
    int code = 3;
    try {
      code = body(*result) ? 0 : 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: exception: %s\n", e.what());
      code = 2;
    } catch (...) {
      code = 2;
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  ChildStatus verdict;
  if (waitpid(pid, &status, 0) != pid) {
    verdict.problem = std::string("waitpid: ") + std::strerror(errno);
  } else if (WIFSIGNALED(status)) {
    verdict.problem = std::string("child killed by signal ") + strsignal(WTERMSIG(status));
  } else if (WEXITSTATUS(status) != 0) {
    verdict.problem = "child exited with status " + std::to_string(WEXITSTATUS(status));
  } else {
    verdict.ok = true;
  }
  std::memcpy(&out, result, sizeof(Result));
  munmap(shared, sizeof(Result));
  return verdict;
}

}  // namespace conformance
