/*
 * A consumer of `vdsoforge embed` output, in plain C: maps the embedded image
 * with its data pages below, the way a kernel or a sandbox would, and calls
 * __vdso_getrandom through the embedded offset.  No ELF parsing anywhere.
 *
 * Exit 0 on success, 1 on a failed check (with a message), 77 when the kernel
 * lacks something the test needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "test_vdso_embedded.h"

typedef long (*getrandom_fn)(void *buffer, size_t len, unsigned flags, void *state,
                             size_t state_len);

struct opaque_params {
  uint32_t size_of_opaque_state, mmap_prot, mmap_flags, reserved[13];
};

struct rng_data {
  uint64_t generation;
  uint8_t is_ready;
};

/* The state's generation field: where a reseed records the data page's value. */
#define STATE_GENERATION_OFFSET 128

static int failures;

#define EXPECT(cond, ...)                                  \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
      failures++;                                          \
    }                                                      \
  } while (0)

/* The permissions /proc/self/maps shows for the mapping holding addr. */
static int mapping_permissions(const void *addr, char perms[5]) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;

  if (!maps) return 0;
  while (!found && fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && (uintptr_t)addr >= start &&
        (uintptr_t)addr < end)
      found = 1;
  }
  fclose(maps);
  return found;
}

static getrandom_fn symbol(unsigned char *base, const char *name) {
  for (size_t i = 0; i < TEST_VDSO_SYMBOL_COUNT; i++)
    if (strcmp(test_vdso_symbols[i].name, name) == 0)
      return (getrandom_fn)(void *)(base + test_vdso_symbols[i].offset);
  return NULL;
}

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

int main(void) {
  const size_t total = TEST_VDSO_DATA_AREA_SIZE + TEST_VDSO_IMAGE_SIZE;
  unsigned char *area =
      mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  unsigned char *base = area + TEST_VDSO_DATA_AREA_SIZE;

  /* Copy while writable, then read+execute: never writable and executable. */
  memcpy(base, test_vdso_image, TEST_VDSO_IMAGE_SIZE);
  if (mprotect(base, TEST_VDSO_IMAGE_SIZE, PROT_READ | PROT_EXEC) != 0) {
    perror("mprotect");
    return 1;
  }
  char perms[5] = "";
  EXPECT(mapping_permissions(base, perms) && strncmp(perms, "r-x", 3) == 0,
         "image mapping is %s, expected r-x", perms);

  struct rng_data *rng = (struct rng_data *)(area + TEST_VDSO_RNG_DATA_OFFSET);
  EXPECT((unsigned char *)rng == base - TEST_VDSO_RNG_DATA_BELOW_BASE, "rng data offsets disagree");
  rng->generation = 1;
  rng->is_ready = 1;

  getrandom_fn vgetrandom = (getrandom_fn)(void *)(base + TEST_VDSO_SYM___vdso_getrandom);
  EXPECT(symbol(base, "__vdso_getrandom") == vgetrandom, "symbol table and macro disagree");
  EXPECT(symbol(base, "getrandom") == vgetrandom, "weak getrandom is not at __vdso_getrandom");

  struct opaque_params params;
  memset(&params, 0xff, sizeof params);
  long ret = vgetrandom(NULL, 0, 0, &params, ~0UL);
  EXPECT(ret == 0, "parameter query returned %ld", ret);
  EXPECT(params.size_of_opaque_state == 144, "state size %u", params.size_of_opaque_state);
  EXPECT(params.mmap_prot == (PROT_READ | PROT_WRITE), "mmap_prot %#x", params.mmap_prot);
  EXPECT(params.mmap_flags == (0x08 /* MAP_DROPPABLE */ | MAP_ANONYMOUS), "mmap_flags %#x",
         params.mmap_flags);
  if (failures) return 1;

  unsigned char *state = mmap(NULL, 4096, (int)params.mmap_prot, (int)params.mmap_flags, -1, 0);
  if (state == MAP_FAILED && errno == EINVAL) {
    printf("SKIP: the kernel rejects MAP_DROPPABLE (Linux < 6.11)\n");
    return 77;
  }
  if (state == MAP_FAILED) {
    perror("mmap state");
    return 1;
  }

  unsigned char first[64], second[64];
  memset(first, 0, sizeof first);
  memset(second, 0, sizeof second);
  ret = vgetrandom(first, sizeof first, 0, state, params.size_of_opaque_state);
  EXPECT(ret == (long)sizeof first, "first draw returned %ld", ret);
  ret = vgetrandom(second, sizeof second, 0, state, params.size_of_opaque_state);
  EXPECT(ret == (long)sizeof second, "second draw returned %ld", ret);
  EXPECT(!all_zero(first, sizeof first), "first draw is all zero");
  EXPECT(memcmp(first, second, sizeof first) != 0, "two draws are identical");

  /* The image really reads the data page at the embedded offset: a new
   * generation there makes the next call reseed and record it. */
  uint64_t generation;
  memcpy(&generation, state + STATE_GENERATION_OFFSET, sizeof generation);
  EXPECT(generation == 1, "state generation %llu after seeding, expected 1",
         (unsigned long long)generation);
  rng->generation = 5;
  ret = vgetrandom(first, 16, 0, state, params.size_of_opaque_state);
  EXPECT(ret == 16, "draw after the generation change returned %ld", ret);
  memcpy(&generation, state + STATE_GENERATION_OFFSET, sizeof generation);
  EXPECT(generation == 5, "state generation %llu after the change, expected 5",
         (unsigned long long)generation);

  /* A kernel or sandbox picks the ChaCha20 routine from the header alone:
   * a second copy, patched to the best routine this CPU runs, must give the
   * same bytes and state from the same state as the unpatched SSE2 copy. */
  unsigned long best = TEST_VDSO_CHACHA20_SSE2;
  const char *best_name = "sse2";
  if (__builtin_cpu_supports("avx2")) {
    best = TEST_VDSO_CHACHA20_AVX2;
    best_name = "avx2";
  }
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    best = TEST_VDSO_CHACHA20_AVX512;
    best_name = "avx512";
  }
  unsigned char *area2 =
      mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area2 == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  unsigned char *base2 = area2 + TEST_VDSO_DATA_AREA_SIZE;
  memcpy(base2, test_vdso_image, TEST_VDSO_IMAGE_SIZE);
  test_vdso_chacha20_select(base2, best);
  EXPECT(base2[TEST_VDSO_CHACHA20_SITE] == 0xe9, "no jump at the dispatch site");
  if (mprotect(base2, TEST_VDSO_IMAGE_SIZE, PROT_READ | PROT_EXEC) != 0) {
    perror("mprotect");
    return 1;
  }
  struct rng_data *rng2 = (struct rng_data *)(area2 + TEST_VDSO_RNG_DATA_OFFSET);
  rng2->generation = rng->generation;
  rng2->is_ready = 1;
  getrandom_fn vgetrandom2 = (getrandom_fn)(void *)(base2 + TEST_VDSO_SYM___vdso_getrandom);
  unsigned char *state2 = mmap(NULL, 4096, (int)params.mmap_prot, (int)params.mmap_flags, -1, 0);
  if (state2 == MAP_FAILED) {
    perror("mmap state");
    return 1;
  }
  static unsigned char out1[5000], out2[5000];
  memcpy(state2, state, params.size_of_opaque_state);
  ret = vgetrandom(out1, sizeof out1, 0, state, params.size_of_opaque_state);
  EXPECT(ret == (long)sizeof out1, "unpatched draw returned %ld", ret);
  ret = vgetrandom2(out2, sizeof out2, 0, state2, params.size_of_opaque_state);
  EXPECT(ret == (long)sizeof out2, "%s draw returned %ld", best_name, ret);
  EXPECT(memcmp(out1, out2, sizeof out1) == 0, "%s copy gives other bytes than sse2", best_name);
  EXPECT(memcmp(state, state2, params.size_of_opaque_state) == 0,
         "%s copy leaves another state than sse2", best_name);

  if (failures) return 1;
  printf("ChaCha20 routine %s patched in from the header: same bytes as the unpatched copy\n",
         best_name);
  printf("embedded image at %p: getrandom through offset %#lx works\n", (void *)base,
         (unsigned long)TEST_VDSO_SYM___vdso_getrandom);
  return 0;
}
