/* What a seccomp filter costs a cheap system call, for the exec overhead
 * benchmark (tests/bench/exec_overhead.sh):
 *
 *   seccomp_cost [CALLS]
 *
 * times CALLS getppid() calls (default 2,000,000) in a child per filter:
 * none; one that allows everything; one shaped like exec's (it looks at the
 * architecture and the call number only, so the kernel can prove each
 * number's answer constant and cache "allow" for it, skipping the filter);
 * and one that reads an argument, which the kernel cannot cache, so the
 * filter runs on every call.  Prints the best of 7 runs per filter, in
 * nanoseconds per call (CPU time of the loop).
 */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RET(action) BPF_STMT(BPF_RET | BPF_K, action)
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define IF_EQUAL(value, then, otherwise) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, then, otherwise)

static struct sock_filter allow_all[] = {RET(SECCOMP_RET_ALLOW)};
/* SECCOMP_RET_TRACE stands in for exec's user notification: without a
 * tracer an execve would fail, but this program makes none. */
static struct sock_filter like_exec[] = {
    LOAD(arch),
    IF_EQUAL(AUDIT_ARCH_X86_64, 0, 5),
    LOAD(nr),
    IF_EQUAL(59, 2, 0),
    IF_EQUAL(322, 1, 0),
    RET(SECCOMP_RET_ALLOW),
    RET(SECCOMP_RET_TRACE),
    RET(SECCOMP_RET_ALLOW),
};
static struct sock_filter reads_argument[] = {
    LOAD(args[0]),
    IF_EQUAL(0xdeadbeef, 0, 1),
    RET(SECCOMP_RET_TRACE),
    RET(SECCOMP_RET_ALLOW),
};

struct filter {
  const char* name;
  struct sock_filter* code;
  unsigned short length;
};

static double ns_per_call(const struct filter* filter, long calls) {
  int channel[2];
  if (pipe(channel) != 0) exit(1);
  const pid_t child = fork();
  if (child == 0) {
    if (filter->code) {
      struct sock_fprog program = {filter->length, filter->code};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
        _exit(1);
    }
    struct timespec start, end;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
    const double ns =
        ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) /
        (double)calls;
    _exit(write(channel[1], &ns, sizeof ns) == sizeof ns ? 0 : 1);
  }
  double ns = -1;
  if (read(channel[0], &ns, sizeof ns) != sizeof ns) ns = -1;
  waitpid(child, NULL, 0);
  close(channel[0]);
  close(channel[1]);
  return ns;
}

int main(int argc, char** argv) {
  const long calls = argc > 1 ? atol(argv[1]) : 2000000;
  if (calls < 1) {
    fprintf(stderr, "usage: seccomp_cost [CALLS]\n");
    return 2;
  }
  const struct filter filters[] = {
      {"no filter", NULL, 0},
      {"allow everything", allow_all, sizeof allow_all / sizeof allow_all[0]},
      {"like exec's (number, arch)", like_exec, sizeof like_exec / sizeof like_exec[0]},
      {"reads an argument", reads_argument, sizeof reads_argument / sizeof reads_argument[0]},
  };
  enum { kFilters = sizeof filters / sizeof filters[0] };
  double best[kFilters];
  for (int f = 0; f < kFilters; ++f) best[f] = 1e30;
  /* Filters alternate within each round, so load drifting hits all alike. */
  for (int round = 0; round < 7; ++round)
    for (int f = 0; f < kFilters; ++f) {
      const double ns = ns_per_call(&filters[f], calls);
      if (ns < 0) {
        fprintf(stderr, "seccomp_cost: the filter \"%s\" could not be installed\n",
                filters[f].name);
        return 1;
      }
      if (ns < best[f]) best[f] = ns;
    }
  for (int f = 0; f < kFilters; ++f)
    printf("getppid, filter %-28s %7.1f ns per call\n", filters[f].name, best[f]);
  return 0;
}
