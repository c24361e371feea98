/* Workloads for the exec overhead benchmark (tests/bench/exec_overhead.sh):
 *
 *   workload cpu N        N rounds of integer mixing, no system calls
 *   workload syscalls N   N getppid() system calls
 *
 * prints the elapsed time of the work itself, in nanoseconds, so start-up
 * (exec's and the program's) is measured apart from steady-state speed.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: workload cpu|syscalls N\n");
    return 2;
  }
  const long n = atol(argv[2]);
  const uint64_t start = now_ns();
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
  printf("%llu %llu\n", (unsigned long long)(now_ns() - start), (unsigned long long)(x & 1));
  return 0;
}
