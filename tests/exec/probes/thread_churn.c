/* Threads that come and go while a getrandom consumer draws, for the fault
 * tests of `vdsoforge exec` (a generation storm meanwhile):
 *
 *   thread_churn OUT ROUNDS THREADS CALLS
 *
 * ROUNDS times: start THREADS threads, each makes CALLS getrandom() calls of
 * 16..271 bytes and exits; join them all.  A C library with vDSO getrandom
 * gives each thread a state and takes it back when the thread exits, so
 * later threads reuse earlier threads' states.  The first 16 bytes of every
 * result are appended to OUT (one write per thread) for the caller's
 * repetition checks.  stdout: "calls=N states=THREADS rounds=ROUNDS".  Exit
 * 3 if a call returns something other than the requested length.
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
#include <unistd.h>

enum { kSample = 16, kMaxLength = 271 };

static int out_fd;
static long calls;

struct worker {
  pthread_t thread;
  uint64_t seed;
  int failed;
};

static void* work(void* arg) {
  struct worker* w = arg;
  unsigned char buffer[kMaxLength];
  unsigned char* samples = malloc((size_t)calls * kSample);
  if (!samples) {
    w->failed = 1;
    return NULL;
  }
  for (long i = 0; i < calls; ++i) {
    w->seed ^= w->seed << 13; /* xorshift64: sizes, not secrets */
    w->seed ^= w->seed >> 7;
    w->seed ^= w->seed << 17;
    const size_t length = kSample + (size_t)(w->seed % (kMaxLength - kSample + 1));
    ssize_t got;
    do got = getrandom(buffer, length, 0);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)length) {
      w->failed = 1;
      break;
    }
    memcpy(samples + i * kSample, buffer, kSample);
  }
  const size_t bytes = (size_t)calls * kSample;
  if (!w->failed && write(out_fd, samples, bytes) != (ssize_t)bytes) w->failed = 1;
  free(samples);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: thread_churn OUT ROUNDS THREADS CALLS\n");
    return 2;
  }
  out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
  const long rounds = atol(argv[2]), threads = atol(argv[3]);
  calls = atol(argv[4]);
  if (out_fd < 0 || rounds < 1 || threads < 1 || threads > 256 || calls < 1) {
    fprintf(stderr, "thread_churn: bad arguments or cannot open %s\n", argv[1]);
    return 2;
  }
  struct worker workers[256];
  int failed = 0;
  for (long r = 0; r < rounds; ++r) {
    for (long t = 0; t < threads; ++t) {
      workers[t].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(r * threads + t + 1);
      workers[t].failed = 0;
      if (pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0) return 3;
    }
    for (long t = 0; t < threads; ++t) {
      pthread_join(workers[t].thread, NULL);
      failed |= workers[t].failed;
    }
  }
  printf("calls=%ld states=%ld rounds=%ld\n", rounds * threads * calls, threads, rounds);
  return failed ? 3 : 0;
}
