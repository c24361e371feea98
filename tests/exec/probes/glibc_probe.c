/* A getrandom consumer for `vdsoforge exec`, written against the C library
 * only, so it exercises whichever C library runs it (in the tests, Debian 13's
 * glibc 2.41 through its own ld-linux-x86-64.so.2, whose getrandom() and
 * arc4random_buf() use __vdso_getrandom from the vDSO AT_SYSINFO_EHDR names).
 *
 *   glibc_probe OUT THREADS CALLS STEPS CHILDREN [BETWEEN_STEPS_COMMAND]
 *
 * THREADS worker threads plus the main thread each make CALLS calls split in
 * STEPS steps (mixed sizes 1 B .. 4 KiB; every 8th call arc4random_buf).  Between
 * steps, with every thread idle, the main thread runs BETWEEN_STEPS_COMMAND
 * with system() (the tests force a reseed there).  Then CHILDREN forked
 * children (no exec) each make CALLS calls.  The first 16 bytes of every 16th
 * result (and, for results of 2 KiB or more, the 16 bytes at offsets 1024 and
 * 1088) are appended to OUT, for the caller's repetition and statistics
 * checks.  stdout gets one line: "calls=N states=S".  Exit 3 if any call
 * returns something other than the requested length.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kSampleBytes = 16, kSampleEvery = 16, kMaxLength = 4096 };

static int out_fd;
static long calls_per_thread, steps;
static pthread_barrier_t step_start, step_done;

struct worker {
  pthread_t thread;
  uint64_t seed;
  int failed;
};

static uint64_t next_length(uint64_t* x) { /* xorshift64: sizes, not secrets */
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return 1 + *x % kMaxLength;
}

/* Draws `count` results; appends its samples to OUT in one write. */
static int draw(uint64_t* seed, long count, long first_index) {
  static __thread unsigned char buffer[kMaxLength];
  unsigned char* samples = malloc((size_t)(count / kSampleEvery + 1) * 3 * kSampleBytes);
  size_t sampled = 0;
  int failed = 0;
  for (long i = 0; i < count; ++i) {
    const size_t length = (size_t)next_length(seed);
    const long index = first_index + i;
    if (index % 8 == 7) {
      arc4random_buf(buffer, length);
    } else {
      ssize_t got;
      do got = getrandom(buffer, length, 0);
      while (got < 0 && errno == EINTR);
      if (got != (ssize_t)length) {
        fprintf(stderr, "glibc_probe: getrandom(%zu) returned %zd (%s)\n", length, got,
                got < 0 ? strerror(errno) : "short");
        failed = 1;
        break;
      }
    }
    if (index % kSampleEvery == 0 && length >= kSampleBytes) {
      memcpy(samples + sampled, buffer, kSampleBytes);
      sampled += kSampleBytes;
      /* Two samples one ChaCha20 block (64 bytes) apart, deep in a long
       * result: equal if the generator repeats blocks within one call. */
      if (length >= 2048) {
        memcpy(samples + sampled, buffer + 1024, kSampleBytes);
        memcpy(samples + sampled + kSampleBytes, buffer + 1024 + 64, kSampleBytes);
        sampled += 2 * kSampleBytes;
      }
    }
  }
  if (sampled && write(out_fd, samples, sampled) != (ssize_t)sampled) failed = 1;
  free(samples);
  return failed;
}

static void* work(void* arg) {
  struct worker* w = arg;
  const long per_step = calls_per_thread / steps;
  for (long step = 0; step < steps; ++step) {
    pthread_barrier_wait(&step_start);
    w->failed |= draw(&w->seed, per_step, step * per_step);
    pthread_barrier_wait(&step_done);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: glibc_probe OUT THREADS CALLS STEPS CHILDREN [COMMAND]\n");
    return 2;
  }
  out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
  const long threads = atol(argv[2]);
  calls_per_thread = atol(argv[3]);
  steps = atol(argv[4]);
  const long children = atol(argv[5]);
  const char* between = argc > 6 ? argv[6] : NULL;
  if (out_fd < 0 || threads < 0 || calls_per_thread < 1 || steps < 1 || children < 0) {
    fprintf(stderr, "glibc_probe: bad arguments or cannot open %s\n", argv[1]);
    return 2;
  }

  /* threads + 1: the main thread takes part in every step. */
  pthread_barrier_init(&step_start, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&step_done, NULL, (unsigned)threads + 1);
  struct worker* workers = calloc((size_t)threads + 1, sizeof *workers);
  for (long t = 0; t <= threads; ++t) workers[t].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
  for (long t = 1; t <= threads; ++t) pthread_create(&workers[t].thread, NULL, work, &workers[t]);
  const long per_step = calls_per_thread / steps;
  for (long step = 0; step < steps; ++step) {
    if (step > 0 && between && system(between) != 0) {
      fprintf(stderr, "glibc_probe: \"%s\" failed\n", between);
      return 4;
    }
    pthread_barrier_wait(&step_start);
    workers[0].failed |= draw(&workers[0].seed, per_step, step * per_step);
    pthread_barrier_wait(&step_done);
  }
  int failed = workers[0].failed;
  for (long t = 1; t <= threads; ++t) {
    pthread_join(workers[t].thread, NULL);
    failed |= workers[t].failed;
  }

  for (long c = 0; c < children; ++c) {
    const pid_t pid = fork();
    if (pid == 0) {
      uint64_t seed = 0x5851f42d4c957f2dull * (uint64_t)(c + 1);
      _exit(draw(&seed, calls_per_thread, 0) ? 3 : 0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      failed = 1;
  }
  printf("calls=%ld states=%ld\n", (threads + 1 + children) * (calls_per_thread / steps * steps),
         threads + 1 + children);
  return failed ? 3 : 0;
}
