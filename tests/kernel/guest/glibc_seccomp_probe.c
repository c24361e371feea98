/* Does the C library's getrandom() get its bytes from the vDSO, with no way
 * back to the kernel?  Run in the kernel harness's guest with Debian 13's
 * glibc 2.41 (through its own ld-linux-x86-64.so.2):
 *
 *   glibc_seccomp_probe CALLS CLOCK_MODE_DISTANCE
 *
 * After a warm-up (glibc allocates its vDSO states on first use) a seccomp
 * filter makes the getrandom system call fail with EPERM, which the probe
 * first proves by calling it directly.  Then CALLS getrandom() calls of 1 to
 * 512 bytes must all succeed: neither glibc nor the vDSO could have fallen
 * back to the system call.  Then the same in a child forked after
 * unshare(CLONE_NEWTIME): in a time namespace the kernel maps the namespace's
 * page where the vvar page was, so the s32 clock mode at vDSO base -
 * CLOCK_MODE_DISTANCE must read VDSO_CLOCKMODE_TIMENS (0x7fffffff) there and
 * something else outside, and a pre-6.15 vDSO serves getrandom only by
 * reading its rng data through the timens page.  Exit 0 when all holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int32_t kClockModeTimens = 0x7fffffff;

static int forbid_getrandom(void) {
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog filter = {.len = sizeof program / sizeof program[0], .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter);
}

/* CALLS getrandom() calls; returns the number that failed.  Two results in a
 * row that are equal also count (a vDSO handing out zeros would pass). */
static long draw(long calls, uint64_t* bytes) {
  unsigned char previous[512] = {0}, buffer[512];
  long failed = 0;
  for (long i = 0; i < calls; ++i) {
    const size_t length = 1 + (size_t)(i * 131 % 512);
    const ssize_t got = getrandom(buffer, length, 0);
    if (got != (ssize_t)length) {
      if (failed++ == 0)
        printf("glibc: getrandom(%zu) returned %zd (%s)\n", length, got,
               got < 0 ? strerror(errno) : "short");
      continue;
    }
    if (length >= 16 && memcmp(buffer, previous, 16) == 0) ++failed;
    memcpy(previous, buffer, length < 16 ? length : 16);
    *bytes += (uint64_t)length;
  }
  return failed;
}

static int32_t clock_mode(unsigned long distance) {
  const unsigned char* base = (const unsigned char*)getauxval(AT_SYSINFO_EHDR);
  int32_t mode;
  memcpy(&mode, base - distance, sizeof mode);
  return mode;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: glibc_seccomp_probe CALLS CLOCK_MODE_DISTANCE\n");
    return 2;
  }
  const long calls = strtol(argv[1], NULL, 0);
  const unsigned long distance = strtoul(argv[2], NULL, 0);
  uint64_t bytes = 0;
  unsigned char warm[32];
  for (int i = 0; i < 4; ++i)
    if (getrandom(warm, sizeof warm, 0) != (ssize_t)sizeof warm) {
      printf("glibc: warm-up getrandom() failed: %s\n", strerror(errno));
      return 1;
    }
  if (forbid_getrandom() != 0) {
    printf("glibc: cannot install the seccomp filter: %s\n", strerror(errno));
    return 1;
  }
  errno = 0;
  const long direct = syscall(SYS_getrandom, warm, sizeof warm, 0);
  if (direct != -1 || errno != EPERM) {
    printf("glibc: the getrandom system call is not forbidden (returned %ld)\n", direct);
    return 1;
  }
  const long failed = draw(calls, &bytes);
  printf(
      "glibc: %ld of %ld getrandom() calls served (%llu bytes) with the getrandom system "
      "call forbidden by seccomp\n",
      calls - failed, calls, (unsigned long long)bytes);

  const int32_t outside = clock_mode(distance);
  if (unshare(CLONE_NEWTIME) != 0) {
    printf("timens: unshare(CLONE_NEWTIME): %s\n", strerror(errno));
    return 1;
  }
  const pid_t child = fork();
  if (child == 0) {
    uint64_t child_bytes = 0;
    const int32_t inside = clock_mode(distance);
    const long child_failed = draw(calls, &child_bytes);
    printf(
        "timens: clock mode at base - %#lx: %#x in the namespace, %#x outside; %ld of %ld "
        "getrandom() calls served (%llu bytes) with the system call forbidden\n",
        distance, (unsigned)inside, (unsigned)outside, calls - child_failed, calls,
        (unsigned long long)child_bytes);
    _exit(inside == kClockModeTimens && outside != kClockModeTimens && child_failed == 0 ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  const int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return failed == 0 && child_ok ? 0 : 1;
}
