/* coarse_clock_probe ITERATIONS: are the coarse clocks the vDSO serves the
 * kernel's own, read for read?
 *
 * For CLOCK_REALTIME_COARSE and CLOCK_MONOTONIC_COARSE in turn, ITERATIONS
 * times: a clock_gettime system call, the vDSO's __vdso_clock_gettime (looked
 * up in the image AT_SYSINFO_EHDR names, through its DT_HASH table), another
 * system call.  Each vDSO value must lie between the two system-call values,
 * with no tolerance: a copy of the kernel's data that trails it by a tick
 * fails.
 *
 * So that the check cannot pass by the vDSO asking the kernel itself, a
 * seccomp filter makes every clock_gettime system call issued from inside
 * the vDSO's text fail with EPERM (the filter tests the instruction
 * pointer): a vDSO read that is not served from its data pages is an error.
 *
 * stdout: "layout: ..." (what /proc/self/maps shows around the vDSO), then
 * "iterations=N violations=V ticks_realtime=R ticks_monotonic=M
 * monotonic_coarse_s=S" (R and M: how many distinct values each coarse clock
 * took, so the run is seen to span kernel ticks; S: the last monotonic read
 * in whole seconds, which shows a time namespace's offset).  Exit 0 if every read was ordered, 1 if
 * one was not (each printed, up to 10), 2 if the probe could not set itself up.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec*);

/* The symbol's address in the vDSO at `base`, through DT_HASH (whose chain
 * count is the number of dynamic symbols); NULL if it has none. */
static void* vdso_symbol(uintptr_t base, const char* name) {
  const Elf64_Ehdr* ehdr = (const Elf64_Ehdr*)base;
  const Elf64_Phdr* phdr = (const Elf64_Phdr*)(base + ehdr->e_phoff);
  uintptr_t load_bias = 0;
  const Elf64_Dyn* dynamic = NULL;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdr[i].p_type == PT_LOAD && phdr[i].p_offset == 0) load_bias = base - phdr[i].p_vaddr;
    if (phdr[i].p_type == PT_DYNAMIC) dynamic = (const Elf64_Dyn*)(base + phdr[i].p_offset);
  }
  if (!dynamic) return NULL;
  const Elf64_Sym* symbols = NULL;
  const char* strings = NULL;
  const Elf64_Word* hash = NULL;
  for (const Elf64_Dyn* d = dynamic; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_SYMTAB) symbols = (const Elf64_Sym*)(load_bias + d->d_un.d_ptr);
    if (d->d_tag == DT_STRTAB) strings = (const char*)(load_bias + d->d_un.d_ptr);
    if (d->d_tag == DT_HASH) hash = (const Elf64_Word*)(load_bias + d->d_un.d_ptr);
  }
  if (!symbols || !strings || !hash) return NULL;
  for (Elf64_Word i = 0; i < hash[1]; ++i)
    if (symbols[i].st_shndx != SHN_UNDEF && strcmp(strings + symbols[i].st_name, name) == 0)
      return (void*)(load_bias + symbols[i].st_value);
  return NULL;
}

struct mapping {
  uintptr_t start, end;
  char name[256];
};

/* The mappings of /proc/self/maps, up to `max`; their count. */
static int read_maps(struct mapping* out, int max) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) return 0;
  char line[512];
  int count = 0;
  while (count < max && fgets(line, sizeof line, maps)) {
    struct mapping* m = &out[count];
    m->name[0] = 0;
    if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %*s %*s %*s %255[^\n]", &m->start, &m->end,
               m->name) >= 2)
      ++count;
  }
  fclose(maps);
  return count;
}

/* Fails every clock_gettime system call made from [start, end). */
static int forbid_clock_syscalls_from(uintptr_t start, uintptr_t end) {
  if ((start >> 32) != ((end - 1) >> 32)) return -1; /* one 32-bit compare below */
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 6),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(start >> 32), 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)start, 0, 2),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)end, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

static int64_t nanoseconds(const struct timespec* t) {
  return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 2 || atol(argv[1]) <= 0) {
    fprintf(stderr, "usage: coarse_clock_probe ITERATIONS\n");
    return 2;
  }
  const long iterations = atol(argv[1]);
  const uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) {
    fprintf(stderr, "coarse_clock_probe: no vDSO (AT_SYSINFO_EHDR)\n");
    return 2;
  }
  clock_gettime_fn vdso_clock_gettime = (clock_gettime_fn)vdso_symbol(base, "__vdso_clock_gettime");
  if (!vdso_clock_gettime) {
    fprintf(stderr, "coarse_clock_probe: the vDSO has no __vdso_clock_gettime\n");
    return 2;
  }

  static struct mapping maps[4096];
  const int count = read_maps(maps, 4096);
  const struct mapping* text = NULL;
  int kernel_vdso = 0;
  uintptr_t vvar_end = 0, vclock_end = 0;
  for (int i = 0; i < count; ++i) {
    if (maps[i].start <= base && base < maps[i].end) text = &maps[i];
    if (strcmp(maps[i].name, "[vdso]") == 0) kernel_vdso = 1;
    if (strcmp(maps[i].name, "[vvar]") == 0) vvar_end = maps[i].end;
    if (strcmp(maps[i].name, "[vvar_vclock]") == 0) vclock_end = maps[i].end;
  }
  if (!text) {
    fprintf(stderr, "coarse_clock_probe: AT_SYSINFO_EHDR %#" PRIxPTR " is not mapped\n", base);
    return 2;
  }
  /* vclock_end == base: [vvar_vclock] ends where the vDSO begins. */
  printf("layout: vdso=%s kernel_vdso=%s vvar_vclock_ends_at_vdso=%s vvar_ends_at_%s\n",
         text->name[0] ? text->name : "(anonymous)", kernel_vdso ? "mapped" : "unmapped",
         vclock_end == base ? "yes" : "no",
         vvar_end == base - 0x2000 ? "vdso-0x2000" : "elsewhere");
  if (forbid_clock_syscalls_from(text->start, text->end) != 0) {
    fprintf(stderr, "coarse_clock_probe: seccomp: %s\n", strerror(errno));
    return 2;
  }

  const clockid_t clocks[2] = {CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE};
  const char* names[2] = {"CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE"};
  long ticks[2] = {0, 0};
  int64_t last[2] = {-1, -1};
  long violations = 0;
  for (long i = 0; i < iterations; ++i) {
    for (int c = 0; c < 2; ++c) {
      struct timespec before, served, after;
      if (syscall(SYS_clock_gettime, clocks[c], &before) != 0) {
        fprintf(stderr, "coarse_clock_probe: clock_gettime system call: %s\n", strerror(errno));
        return 2;
      }
      const int rc = vdso_clock_gettime(clocks[c], &served);
      syscall(SYS_clock_gettime, clocks[c], &after);
      if (rc != 0) {
        printf("vdso error %s: %d (it took the system call, which is forbidden from its text)\n",
               names[c], rc);
        return 1;
      }
      const int64_t b = nanoseconds(&before), v = nanoseconds(&served), a = nanoseconds(&after);
      if (v != last[c]) ++ticks[c], last[c] = v;
      if (b <= v && v <= a) continue;
      if (++violations <= 10)
        printf("violation %s iteration %ld: syscall %" PRId64 " vdso %" PRId64 " syscall %" PRId64
               " (vdso - first syscall: %" PRId64 " ns)\n",
               names[c], i, b, v, a, v - b);
    }
  }
  printf(
      "iterations=%ld violations=%ld ticks_realtime=%ld ticks_monotonic=%ld "
      "monotonic_coarse_s=%" PRId64 "\n",
      iterations, violations, ticks[0], ticks[1], last[1] / 1000000000);
  return violations == 0 ? 0 : 1;
}
