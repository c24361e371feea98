// Prints what the C library's clock functions return, one "name value" line
// each: CLOCK_REALTIME/MONOTONIC/BOOTTIME/TAI/MONOTONIC_RAW/REALTIME_COARSE
// in nanoseconds, gettimeofday in microseconds, time(), clock_getres of
// CLOCK_MONOTONIC.  Run under forbid_clock_syscalls: each must come from the
// vDSO.
#include <inttypes.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static void print_clock(const char* name, clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) {
    printf("%s error\n", name);
    return;
  }
  printf("%s %" PRId64 "\n", name, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

int main(void) {
  print_clock("realtime", CLOCK_REALTIME);
  print_clock("monotonic", CLOCK_MONOTONIC);
  print_clock("boottime", CLOCK_BOOTTIME);
  print_clock("tai", CLOCK_TAI);
  print_clock("monotonic_raw", CLOCK_MONOTONIC_RAW);
  print_clock("realtime_coarse", CLOCK_REALTIME_COARSE);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  printf("gettimeofday %" PRId64 "\n", (int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
  printf("time %" PRId64 "\n", (int64_t)time(NULL));
  struct timespec res;
  clock_getres(CLOCK_MONOTONIC, &res);
  printf("getres %" PRId64 "\n", (int64_t)res.tv_nsec);
  return 0;
}
