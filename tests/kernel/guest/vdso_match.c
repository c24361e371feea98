/* Checks the vdso-image-64.c `vdsoforge embed --format kernel` wrote, compiled
 * in through the user-space stand-ins of kernel_shim/, against the image's
 * `vdsoforge embed` header (VDSO_MATCH_HEADER, prefix vdso611):
 *
 *   vdso_match            the file alone: struct vdso_image, the pages, the
 *                         alternatives table and the initcall (host test)
 *   vdso_match --live     also this process's [vdso] and [vvar] mappings: the
 *                         running kernel must serve exactly these pages, with
 *                         the dispatch jump as its apply_alternatives() left
 *                         it; says which routine that is (guest test)
 *
 * Prints one line per finding and "vdso_match: ok ..." at the end; exit 1 on
 * the first mismatch.
 */
#define _GNU_SOURCE
#include <asm/vdso.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include VDSO_MATCH_HEADER

extern int (*const vdso_test_initcall)(void);

enum { kPage = 4096, kAltInstrSize = 14, kJmp32 = 0xe9, kJmp8 = 0xeb };

static const struct vdso_image* init_called_with;
int init_vdso_image(const struct vdso_image* image) {
  init_called_with = image;
  return 0;
}

__attribute__((noreturn)) static void fail(const char* what) {
  printf("vdso_match: FAIL %s\n", what);
  exit(1);
}

static int32_t s32_at(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return (int32_t)v;
}

/* The routine an image offset is the entry of, or NULL. */
static const char* routine_at(unsigned long offset) {
  if (offset == VDSO611_CHACHA20_SSE2) return "sse2";
  if (offset == VDSO611_CHACHA20_AVX2) return "avx2";
  if (offset == VDSO611_CHACHA20_AVX512) return "avx512";
  return NULL;
}

/* Where a jump at `site` of `pages` goes: e9 rel32, or eb rel8 as the
 * kernel shortens a near one; -1 if it is no jump. */
static long jump_target(const unsigned char* pages, unsigned long site) {
  if (pages[site] == kJmp32) return (long)site + 5 + s32_at(pages + site + 1);
  if (pages[site] == kJmp8) return (long)site + 2 + (signed char)pages[site + 1];
  return -1;
}

struct alternative {
  unsigned feature;
  unsigned long target;
};

/* Checks the file by itself; fills the alternatives it declares. */
static int check_file(struct alternative* alts, int max_alts) {
  const struct vdso_image* v = &vdso_image_64;
  const unsigned char* pages = v->data;
  if (v->size % kPage != 0 || v->size < VDSO611_IMAGE_FILE_SIZE) fail("size is not whole pages");
  if (memcmp(pages, vdso611_image, VDSO611_IMAGE_FILE_SIZE) != 0)
    fail("the pages do not start with the image file");
  if ((uintptr_t)pages % kPage != 0) fail("the pages are not page-aligned");
  if (v->extable_len != 0 || v->extable != NULL || v->extable_base != 0) fail("an exception table");
  const long area = (long)VDSO611_DATA_AREA_SIZE;
  if (v->sym_vvar_start != -area || v->sym_vvar_page != -area + (long)VDSO611_VVAR_PAGE_OFFSET ||
      v->sym_pvclock_page != -area + kPage || v->sym_hvclock_page != -area + 2 * kPage ||
      v->sym_timens_page != -area + (long)VDSO611_TIMENS_PAGE_OFFSET)
    fail("page symbols differ from the image's linux-6.11 layout");
  if (v->sym___kernel_vsyscall || v->sym_VDSO32_NOTE_MASK || v->sym_int80_landing_pad)
    fail("a 32-bit symbol is set");
  if (v->alt < VDSO611_IMAGE_FILE_SIZE || v->alt + v->alt_len > v->size ||
      v->alt_len % kAltInstrSize != 0)
    fail("the alternatives table is not in the padding after the file");
  const int count = (int)(v->alt_len / kAltInstrSize);
  if (count > max_alts) fail("too many alternatives");
  unsigned long last_used = v->alt + v->alt_len;
  for (int i = 0; i < count; ++i) {
    const unsigned char* record = pages + v->alt + (unsigned long)i * kAltInstrSize;
    const long instr = (long)(record - pages) + s32_at(record);
    const long repl = (long)(record + 4 - pages) + s32_at(record + 4);
    const unsigned cpuid = (unsigned)(record[8] | record[9] << 8);
    const unsigned flags = (unsigned)(record[10] | record[11] << 8);
    if (instr != (long)VDSO611_CHACHA20_SITE) fail("an alternative patches another place");
    if (flags != 0 || record[12] != 5 || record[13] != 5) fail("an alternative's flags/lengths");
    if (repl < (long)VDSO611_IMAGE_FILE_SIZE || pages[repl] != kJmp32)
      fail("a replacement is not a jmp rel32 after the file");
    alts[i].feature = cpuid;
    alts[i].target = (unsigned long)(repl + 5 + s32_at(pages + repl + 1));
    if ((unsigned long)repl + 5 > last_used) last_used = (unsigned long)repl + 5;
    const char* routine = routine_at(alts[i].target);
    const int right = (cpuid == 9 * 32 + 5 && routine && strcmp(routine, "avx2") == 0) ||
                      (cpuid == 9 * 32 + 31 && routine && strcmp(routine, "avx512") == 0);
    printf("vdso_match: alternative %d: feature %u*32+%u -> jmp %#lx (%s)\n", i, cpuid / 32,
           cpuid % 32, alts[i].target, routine ? routine : "no routine");
    if (!right) fail("an alternative's feature does not admit its routine");
  }
  for (unsigned long i = VDSO611_IMAGE_FILE_SIZE; i < v->size; ++i)
    if (pages[i] != 0 && (i < v->alt || i >= last_used)) fail("padding is not zero");
  if (vdso_test_initcall() != 0 || init_called_with != &vdso_image_64)
    fail("the initcall does not apply vdso_image_64");
  return count;
}

/* The first line of /proc/self/maps naming `what`: its start and end. */
static int find_mapping(const char* what, unsigned long* start, unsigned long* end) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;
  while (maps && !found && fgets(line, sizeof line, maps))
    if (strstr(line, what)) found = sscanf(line, "%lx-%lx", start, end) == 2;
  if (maps) fclose(maps);
  return found;
}

static void check_live(const struct alternative* alts, int count) {
  const struct vdso_image* v = &vdso_image_64;
  const unsigned char* live = (const unsigned char*)getauxval(AT_SYSINFO_EHDR);
  unsigned long start = 0, end = 0, vvar_start = 0, vvar_end = 0;
  if (!live || !find_mapping("[vdso]", &start, &end)) fail("no [vdso]");
  if (start != (unsigned long)live || end - start != v->size) fail("[vdso] is not size pages");
  if (!find_mapping("[vvar]", &vvar_start, &vvar_end) || vvar_end != start ||
      (long)(vvar_start - start) != v->sym_vvar_start)
    fail("[vvar] is not sym_vvar_start bytes directly below [vdso]");
  const unsigned long site = VDSO611_CHACHA20_SITE;
  const unsigned char* pages = v->data;
  for (unsigned long i = 0; i < v->size; ++i)
    if ((i < site || i >= site + 5) && live[i] != pages[i]) {
      printf("vdso_match: [vdso] byte %#lx is %#x, the file has %#x\n", i, live[i], pages[i]);
      fail("[vdso] differs from the pages outside the dispatch jump");
    }
  const long target = jump_target(live, site);
  const char* routine = target < 0 ? NULL : routine_at((unsigned long)target);
  if (!routine) fail("the dispatch jump leads to no routine");
  const char* chosen_by = "no alternative (as linked)";
  char feature[32];
  for (int i = 0; i < count; ++i)
    if (alts[i].target == (unsigned long)target) {
      snprintf(feature, sizeof feature, "feature %u*32+%u", alts[i].feature / 32,
               alts[i].feature % 32);
      chosen_by = feature;
    }
  unsigned char differing = 0;
  for (int i = 0; i < 5; ++i) differing |= (unsigned char)(live[site + i] ^ pages[site + i]);
  printf(
      "vdso_match: [vdso] at %#lx, %lu bytes, equals the pages except the dispatch jump at "
      "%#lx (%02x %02x %02x %02x %02x%s)\n",
      start, v->size, site, live[site], live[site + 1], live[site + 2], live[site + 3],
      live[site + 4], differing ? ", patched" : ", as linked");
  printf("vdso_match: [vvar] %#lx bytes directly below it\n", vvar_end - vvar_start);
  printf("vdso_match: the kernel chose the %s routine (%s)\n", routine, chosen_by);
}

int main(int argc, char** argv) {
  const int live = argc > 1 && strcmp(argv[1], "--live") == 0;
  struct alternative alts[8];
  const int count = check_file(alts, 8);
  printf(
      "vdso_match: the file: %lu bytes of pages, %d alternatives, page symbols of "
      "linux-6.11\n",
      vdso_image_64.size, count);
  if (live) check_live(alts, count);
  printf("vdso_match: ok\n");
  return 0;
}
