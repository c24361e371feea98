/* Does the C library's getrandom() get its bytes from the vDSO, with no way
 * back to the kernel?  Run in the kernel harness's guest with Debian 13's
 * glibc 2.41 (through its own ld-linux-x86-64.so.2):
 *
 *   glibc_seccomp_probe CALLS RNG_DISTANCE CLOCK_MODE_DISTANCE TIMENS_DELTA
 *
 * The calls are made in batches, each by a forked child that first warms up
 * (glibc allocates its vDSO state, the vDSO seeds it with the getrandom
 * system call), then installs a seccomp filter that makes that system call
 * fail with EPERM, proves it by calling it directly, and makes its share of
 * getrandom() calls of 1 to 512 bytes.  Every one must succeed: neither glibc
 * nor the vDSO could have fallen back to the system call.  A state must be
 * reseeded through the system call when the kernel's generation moves (every
 * second or so early in boot), which the filter forbids; so a batch that
 * failed while the generation (vdso_rng_data at vDSO base - RNG_DISTANCE)
 * moved is run again, up to 4 times, and said so.  A batch that failed with
 * the generation unchanged fails the probe.
 *
 * Then the same after unshare(CLONE_NEWTIME), the batches' children in the
 * new time namespace: the kernel maps the namespace's page where the vvar page
 * was, so the s32 clock mode at base - CLOCK_MODE_DISTANCE must read
 * VDSO_CLOCKMODE_TIMENS (0x7fffffff) there and something else outside, and a
 * pre-6.15 vDSO serves getrandom only by reading its rng data TIMENS_DELTA
 * bytes higher, through the timens page.  Exit 0 when all holds.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum { kBatches = 5, kReruns = 4 };
enum batch_outcome { kServed = 0, kFailed = 1, kReseeded = 3 };
static const int32_t kClockModeTimens = 0x7fffffff;

/* What the children report back through shared memory. */
struct batch_report {
  uint64_t bytes;
  long served;
  int32_t clock_mode;
  char first_error[160];
};

static unsigned long rng_distance, clock_mode_distance, timens_delta;

static const unsigned char* vdso_base(void) {
  return (const unsigned char*)getauxval(AT_SYSINFO_EHDR);
}

static int32_t clock_mode(void) {
  int32_t mode;
  memcpy(&mode, vdso_base() - clock_mode_distance, sizeof mode);
  return mode;
}

/* The kernel's generation; inside a time namespace the real vvar page is the
 * one at the timens slot. */
static uint64_t generation(int in_namespace) {
  const unsigned char* at = vdso_base() - rng_distance + (in_namespace ? timens_delta : 0);
  return *(volatile const uint64_t*)at;
}

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

/* The child's side of a batch. */
static int batch_child(long calls, long first, int in_namespace, struct batch_report* report) {
  unsigned char previous[16] = {0}, buffer[512];
  report->clock_mode = clock_mode();
  for (int i = 0; i < 4; ++i)
    if (getrandom(buffer, 32, 0) != 32) {
      snprintf(report->first_error, sizeof report->first_error, "warm-up getrandom(): %s",
               strerror(errno));
      return kFailed;
    }
  const uint64_t before = generation(in_namespace);
  if (forbid_getrandom() != 0) {
    snprintf(report->first_error, sizeof report->first_error, "seccomp: %s", strerror(errno));
    return kFailed;
  }
  errno = 0;
  if (syscall(SYS_getrandom, buffer, 16, 0) != -1 || errno != EPERM) {
    snprintf(report->first_error, sizeof report->first_error,
             "the getrandom system call is not forbidden");
    return kFailed;
  }
  for (long i = first; i < first + calls; ++i) {
    const size_t length = 1 + (size_t)(i * 131 % 512);
    const ssize_t got = getrandom(buffer, length, 0);
    /* Two results in a row that start alike count as failures: a vDSO
     * handing out zeros must not pass. */
    if (got != (ssize_t)length || (length >= 16 && memcmp(buffer, previous, 16) == 0)) {
      snprintf(report->first_error, sizeof report->first_error, "getrandom(%zu) returned %zd (%s)",
               length, got, got < 0 ? strerror(errno) : "a repeat or short");
      return generation(in_namespace) != before ? kReseeded : kFailed;
    }
    if (length >= 16) memcpy(previous, buffer, 16);
    report->bytes += (uint64_t)length;
    ++report->served;
  }
  return kServed;
}

/* Runs CALLS calls in kBatches children; returns the calls served and prints
 * one line under `label`. */
static int run_batches(const char* label, long calls, int in_namespace, int32_t outside_mode) {
  struct batch_report* report =
      mmap(NULL, sizeof *report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (report == MAP_FAILED) return 0;
  long served = 0;
  uint64_t bytes = 0;
  int reruns = 0, ok = 1;
  int32_t mode = 0;
  for (int b = 0; b < kBatches && ok; ++b) {
    const long share = calls / kBatches + (b < calls % kBatches ? 1 : 0);
    for (int attempt = 0;; ++attempt) {
      memset(report, 0, sizeof *report);
      fflush(stdout);
      const pid_t child = fork();
      if (child == 0) _exit(batch_child(share, b * share, in_namespace, report));
      int status = 0;
      if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
        printf("%s: batch %d: the child died\n", label, b);
        ok = 0;
        break;
      }
      mode = report->clock_mode;
      if (WEXITSTATUS(status) == kServed) {
        served += report->served;
        bytes += report->bytes;
        break;
      }
      if (WEXITSTATUS(status) == kReseeded && attempt < kReruns) {
        ++reruns;
        continue;
      }
      printf("%s: batch %d: %s%s\n", label, b, report->first_error,
             WEXITSTATUS(status) == kReseeded ? " (the kernel reseeded, every rerun too)"
                                              : " (the kernel's generation did not move)");
      ok = 0;
      break;
    }
  }
  if (in_namespace)
    printf("%s: clock mode at base - %#lx: %#x in the namespace, %#x outside; ", label,
           clock_mode_distance, (unsigned)mode, (unsigned)outside_mode);
  else
    printf("%s: ", label);
  printf(
      "%ld of %ld getrandom() calls served (%llu bytes) with the getrandom system call "
      "forbidden by seccomp (%d batches, %d rerun after a kernel reseed)\n",
      served, calls, (unsigned long long)bytes, kBatches, reruns);
  munmap(report, sizeof *report);
  const int mode_ok =
      !in_namespace || (mode == kClockModeTimens && outside_mode != kClockModeTimens);
  return ok && mode_ok && served == calls;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr,
            "usage: glibc_seccomp_probe CALLS RNG_DISTANCE CLOCK_MODE_DISTANCE TIMENS_DELTA\n");
    return 2;
  }
  const long calls = strtol(argv[1], NULL, 0);
  rng_distance = strtoul(argv[2], NULL, 0);
  clock_mode_distance = strtoul(argv[3], NULL, 0);
  timens_delta = strtoul(argv[4], NULL, 0);
  if (calls < kBatches || !vdso_base()) return 2;

  const int32_t outside = clock_mode();
  const int plain_ok = run_batches("glibc", calls, 0, outside);
  if (unshare(CLONE_NEWTIME) != 0) {
    printf("timens: unshare(CLONE_NEWTIME): %s\n", strerror(errno));
    return 1;
  }
  const int namespace_ok = run_batches("timens", calls, 1, outside);
  return plain_ok && namespace_ok ? 0 : 1;
}
