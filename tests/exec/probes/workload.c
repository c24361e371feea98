/* Workloads for the exec overhead benchmark (tests/bench/exec_overhead.sh):
 *
 *   workload cpu N        N rounds of integer mixing, no system calls
 *   workload syscalls N   N getppid() system calls
 *
 * prints the elapsed time of the work itself, in nanoseconds, so start-up
 * (exec's and the program's) is measured apart from steady-state speed, then
 * a checksum bit, then the CPU time the work took (user + system, in
 * nanoseconds): on a machine shared with other jobs the elapsed time mostly
 * measures the scheduler, the CPU time what the work cost.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: workload cpu|syscalls N\n");
    return 2;
  }
  const long n = atol(argv[2]);
  const uint64_t start = clock_ns(CLOCK_MONOTONIC);
  const uint64_t cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  uint64_t x = 0x9e3779b97f4a7c15u;
  if (strcmp(argv[1], "cpu") == 0) {
    for (long i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
  } else if (strcmp(argv[1], "syscalls") == 0) {
    for (long i = 0; i < n; ++i) x += (uint64_t)syscall(SYS_getppid);
  } else {
    return 2;
  }
  const uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  printf("%llu %llu %llu\n", (unsigned long long)(clock_ns(CLOCK_MONOTONIC) - start),
         (unsigned long long)(x & 1), (unsigned long long)cpu);
  return 0;
}
