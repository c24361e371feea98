// time_calls N: calls each of the C library's functions that glibc serves
// from the vDSO N times (clock_gettime, gettimeofday, time, getcpu,
// clock_getres) in that order.  It prints "started" on entering main and
// "<function> done" after each function's N calls, so a run that dies shows
// which function it died in.  Each function has its own system call when the
// vDSO's function is not bound, so exec's per-number counts
// (--count-syscalls) say, function by function, whether the vDSO answered.
//
// getcpu(3) is called, not sched_getcpu(3): glibc 2.41's sched_getcpu reads
// the cpu number its rseq area holds and calls __vdso_getcpu only when rseq
// is not registered, so it would not show whether the symbol was bound.
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static void say(const char* line) {
  printf("%s\n", line);
  fflush(stdout);  // a later crash must not take the line with it
}

static int fail(const char* what) {
  printf("%s failed\n", what);
  return 3;
}

int main(int argc, char** argv) {
  const long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  if (calls <= 0) {
    fprintf(stderr, "usage: time_calls N (N > 0)\n");
    return 2;
  }
  say("started");
  for (long i = 0; i < calls; ++i) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return fail("clock_gettime");
  }
  say("clock_gettime done");
  for (long i = 0; i < calls; ++i) {
    struct timeval tv;
    if (gettimeofday(&tv, NULL) != 0) return fail("gettimeofday");
  }
  say("gettimeofday done");
  for (long i = 0; i < calls; ++i)
    if (time(NULL) == (time_t)-1) return fail("time");
  say("time done");
  for (long i = 0; i < calls; ++i) {
    unsigned cpu = 0, node = 0;
    if (getcpu(&cpu, &node) != 0) return fail("getcpu");
  }
  say("getcpu done");
  for (long i = 0; i < calls; ++i) {
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC, &res) != 0) return fail("clock_getres");
  }
  say("clock_getres done");
  printf("calls %ld\n", calls);
  return 0;
}
