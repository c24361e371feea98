/* Do the image's time functions serve the running kernel's clocks?  Built
 * static: its C library calls __vdso_clock_gettime, __vdso_gettimeofday and
 * __vdso_time of whatever vDSO AT_SYSINFO_EHDR names.
 *
 *   time_probe CALLS
 *
 * 1. CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME read through the C
 *    library agree with the clock_gettime system call made right after (within
 *    50 ms: the guest is emulated).
 * 2. With a seccomp filter making clock_gettime, gettimeofday and time fail
 *    (proved by calling the first directly), CALLS clock_gettime(MONOTONIC)
 *    calls succeed and never go back, and gettimeofday() and time() succeed.
 * 3. In a child forked after unshare(CLONE_NEWTIME) with a monotonic offset
 *    of 1000 s (/proc/self/timens_offsets), CLOCK_MONOTONIC through the vDSO
 *    reads 1000 s ahead of the parent's, with the system calls forbidden:
 *    the image followed the namespace's page.
 * Prints one line per part; exit 0 when all hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum { kOffsetSeconds = 1000 };

static double seconds(const struct timespec* t) { return (double)t->tv_sec + t->tv_nsec / 1e9; }

static int forbid_clock_calls(void) {
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettimeofday, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_time, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
  struct sock_fprog filter = {.len = sizeof program / sizeof program[0], .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) return -1;
  struct timespec t;
  errno = 0;
  return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t) == -1 && errno == EPERM ? 0 : -1;
}

/* Part 2 in the calling process: returns the failures. */
static long served_without_syscalls(long calls, double* last) {
  struct timespec previous = {0, 0}, t;
  long failures = 0;
  for (long i = 0; i < calls; ++i) {
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0 || seconds(&t) < seconds(&previous)) ++failures;
    previous = t;
  }
  struct timeval tv;
  if (gettimeofday(&tv, NULL) != 0 || tv.tv_sec == 0) ++failures;
  if (time(NULL) == (time_t)-1) ++failures;
  *last = seconds(&previous);
  return failures;
}

int main(int argc, char** argv) {
  const long calls = argc == 2 ? strtol(argv[1], NULL, 0) : 0;
  if (calls <= 0) {
    fprintf(stderr, "usage: time_probe CALLS\n");
    return 2;
  }
  int ok = 1;
  const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
  double worst = 0;
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; ++i) {
    struct timespec vdso, kernel;
    clock_gettime(clocks[i], &vdso);
    syscall(SYS_clock_gettime, clocks[i], &kernel);
    const double diff = seconds(&kernel) - seconds(&vdso);
    if (diff < 0 || diff > 0.05) ok = 0;
    if (diff > worst || diff < 0) worst = diff;
  }
  printf(
      "time: REALTIME, MONOTONIC, BOOTTIME through the vDSO agree with the system call "
      "(largest gap %.3f ms)\n",
      worst * 1e3);

  struct timespec parent_now;
  clock_gettime(CLOCK_MONOTONIC, &parent_now);
  if (unshare(CLONE_NEWTIME) != 0) {
    printf("time: unshare(CLONE_NEWTIME): %s\n", strerror(errno));
    return 1;
  }
  /* The offsets must be written before the namespace has a member. */
  const int fd = open("/proc/self/timens_offsets", O_WRONLY);
  char offsets[64];
  const int length = snprintf(offsets, sizeof offsets, "monotonic %d 0\n", kOffsetSeconds);
  if (fd < 0 || write(fd, offsets, (size_t)length) != length) {
    printf("time: cannot set the namespace's offsets: %s\n", strerror(errno));
    return 1;
  }
  close(fd);
  fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    double child_last = 0;
    if (forbid_clock_calls() != 0) _exit(3);
    const long failures = served_without_syscalls(calls, &child_last);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const double ahead = seconds(&now) - seconds(&parent_now);
    printf(
        "time: in a time namespace (monotonic offset %d s): CLOCK_MONOTONIC %.3f s ahead of "
        "the parent's reading; %ld of %ld calls failed with the clock system calls forbidden\n",
        kOffsetSeconds, ahead, failures, calls);
    fflush(stdout);
    _exit(failures == 0 && ahead > kOffsetSeconds && ahead < kOffsetSeconds + 60 ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    ok = 0;

  double last = 0;
  if (forbid_clock_calls() != 0) {
    printf("time: the clock system calls are not forbidden\n");
    return 1;
  }
  const long failures = served_without_syscalls(calls, &last);
  printf(
      "time: %ld of %ld clock_gettime(CLOCK_MONOTONIC) calls served, never going back, and "
      "gettimeofday() and time() too, with the clock system calls forbidden by seccomp\n",
      calls - failures, calls);
  return ok && failures == 0 ? 0 : 1;
}
