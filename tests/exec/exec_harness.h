// Running a real getrandom consumer under `vdsoforge exec` and saying what it
// did with the image: used its getrandom, fell back to the system call, or
// aborted.  The probes are programs written against a C library or a language
// runtime only (probes/), run with the consumers fetched from Debian 13 by
// scripts/fetch-consumers.sh; the counts come from exec's own JSON report
// (--count-syscalls), so the verdict rests on what the kernel saw.
//
//   auto consumers = exec_test::require_consumers();          // SKIP (77) if not fetched
//   exec_test::ProbeRun run = exec_test::run_probe(
//       {.probe = exec_test::glibc_probe(consumers, {.threads = 4, .calls = 1000}),
//        .image = "my-image.so"});
//   run.outcome  // used_vdso | fell_back | partial | aborted
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exec_test {

struct Consumers {
  std::filesystem::path root;       // the unpacked Debian 13 packages
  std::filesystem::path glibc_dir;  // .../usr/lib/x86_64-linux-gnu (libc.so.6 2.41)
  std::filesystem::path ld_so;      // its ld-linux-x86-64.so.2
  std::filesystem::path go_probe;   // the Go probe built with Go 1.24 (may not exist yet)
  std::string packages;             // what was fetched (names and versions)
};

// The fetched consumers, or SKIP (exit 77) naming what is missing.
Consumers require_consumers(bool need_go = false);

struct ProbeWorkload {
  int threads = 4;            // worker threads (glibc) or goroutines (Go) besides main
  long calls = 2000;          // calls per thread (and per child)
  int steps = 1;              // phases; between_steps runs between them
  int children = 2;           // forked children (glibc only; Go cannot fork)
  std::string between_steps;  // shell command run between steps (e.g. a reseed)
};

struct Probe {
  std::vector<std::string> command;  // what exec runs
  std::string program;               // its /proc/PID/exe, to pick its counts from the report
  std::filesystem::path samples;     // where it writes 16-byte samples
};

// Builds the command lines; `samples` is written by the probe.
Probe glibc_probe(const Consumers& consumers, const ProbeWorkload& workload,
                  const std::filesystem::path& samples);
Probe go_probe(const Consumers& consumers, const ProbeWorkload& workload,
               const std::filesystem::path& samples);
// The Go probe's `locked` mode: one goroutine locked to its OS thread makes
// `calls` calls in `steps` steps, so one M's state serves every draw of the
// run and a run's draws meet the same state each time (the ordinary mode's
// goroutines move between Ms, one state each, at moments no run repeats).
Probe go_locked_probe(const Consumers& consumers, long calls, int steps,
                      const std::string& between_steps, const std::filesystem::path& samples);

enum class Outcome {
  used_vdso,  // getrandom syscalls within what key fetches explain
  fell_back,  // at least one syscall per call: the image was not used
  partial,    // in between (an image that works only sometimes)
  aborted,    // the probe exited non-zero or died
};
const char* outcome_name(Outcome outcome);

struct ExecRun {
  Probe probe;
  std::string image;                      // "" = exec's default image
  std::vector<std::string> exec_options;  // e.g. {"--not-ready"}
};

struct ProbeRun {
  int exit_status = -1;  // exec's (the probe's) exit status
  std::string out, err;
  nlohmann::json report;
  uint64_t syscalls = 0;  // getrandom syscalls of the probe's own processes
  uint64_t calls = 0;     // what the probe says it made
  uint64_t states = 0;    // threads/Ms that drew (each has its own state)
  uint64_t reseeds = 0;   // forced by exec while it ran
  std::vector<std::array<uint8_t, 16>> samples;
  Outcome outcome = Outcome::aborted;
  // Every number above in one line, for test messages.
  std::string describe() const;
};

// Key fetches the consumers make beyond one per state and reseed (glibc's
// malloc seeds its tcache with one getrandom system call per process, Go's
// runtime reads a few bytes at start-up).
constexpr uint64_t kSyscallSlack = 8;

ProbeRun run_probe(const ExecRun& run);

// "" if the samples show no repeated 16-byte block and pass a monobit and a
// byte-frequency chi-square check; else what failed.
std::string output_problem(const std::vector<std::array<uint8_t, 16>>& samples);

// Prints "[exec] <line>" for the CI summary.
void summary(const std::string& line);

// exec's fanotify gate needs CAP_SYS_ADMIN and a kernel with fanotify
// permission events: SKIP (exit 77) naming what is missing.
void require_fanotify_gate();

// require_fanotify_gate() when `gate` is "fanotify"; for the cases run
// behind each of exec's gates (--exec-gate).
void require_gate(const std::string& gate);

}  // namespace exec_test
