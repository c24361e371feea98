/* getrandom-probe: the smallest consumer of a vDSO getrandom, for
 * `vdsoforge exec --demo` (and anyone who wants to see an image at work on
 * a system whose C library does not call the vDSO yet, such as Debian 12's
 * glibc 2.36).
 *
 *   getrandom-probe [CALLS]          (default 1000)
 *
 * Finds __vdso_getrandom@LINUX_2.6 in the vDSO that AT_SYSINFO_EHDR names,
 * the way a C library does (dynamic section, DT_HASH, version tables), asks
 * it for the size and mapping of its opaque state, maps one state and makes
 * CALLS calls of 16 bytes.  Prints what it found and did on stdout; exit 0
 * when every call returned its 16 bytes, 1 when the vDSO has no getrandom
 * or a call failed.  C only, no project headers: it reads the vDSO as any
 * program would.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*vgetrandom_fn)(void* buffer, size_t length, unsigned int flags, void* state,
                                 size_t state_size);

/* What the vDSO says about its states when asked with state_size ~0. */
struct state_params {
  uint32_t size_of_opaque_state;
  uint32_t mmap_prot;
  uint32_t mmap_flags;
  uint32_t reserved[13];
};

static const char* const kSymbol = "__vdso_getrandom";
static const char* const kVersion = "LINUX_2.6";

/* The name of version index `index` in the verdef chain, or NULL. */
static const char* version_name(const Elf64_Verdef* def, const char* strtab, uint16_t index) {
  while (def) {
    if ((def->vd_flags & VER_FLG_BASE) == 0 && def->vd_ndx == index) {
      const Elf64_Verdaux* aux = (const Elf64_Verdaux*)((const char*)def + def->vd_aux);
      return strtab + aux->vda_name;
    }
    def = def->vd_next ? (const Elf64_Verdef*)((const char*)def + def->vd_next) : NULL;
  }
  return NULL;
}

/* __vdso_getrandom@LINUX_2.6 in the vDSO mapped at `ehdr`, or NULL. */
static vgetrandom_fn find_vgetrandom(uintptr_t ehdr) {
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)ehdr;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(ehdr + eh->e_phoff);
  uintptr_t bias = 0;
  const Elf64_Dyn* dyn = NULL;
  int have_load = 0;
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD && !have_load) {
      bias = ehdr + ph[i].p_offset - ph[i].p_vaddr;
      have_load = 1;
    }
    if (ph[i].p_type == PT_DYNAMIC) dyn = (const Elf64_Dyn*)(ehdr + ph[i].p_offset);
  }
  if (!have_load || !dyn) return NULL;

  const Elf64_Sym* symtab = NULL;
  const char* strtab = NULL;
  const uint32_t* hash = NULL;
  const uint16_t* versym = NULL;
  const Elf64_Verdef* verdef = NULL;
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    const uintptr_t at = bias + dyn->d_un.d_ptr;
    if (dyn->d_tag == DT_SYMTAB) symtab = (const Elf64_Sym*)at;
    if (dyn->d_tag == DT_STRTAB) strtab = (const char*)at;
    if (dyn->d_tag == DT_HASH) hash = (const uint32_t*)at;
    if (dyn->d_tag == DT_VERSYM) versym = (const uint16_t*)at;
    if (dyn->d_tag == DT_VERDEF) verdef = (const Elf64_Verdef*)at;
  }
  if (!symtab || !strtab || !hash) return NULL;

  /* DT_HASH's second word is the number of symbols. */
  for (uint32_t i = 0; i < hash[1]; ++i) {
    const Elf64_Sym* sym = &symtab[i];
    if (sym->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym->st_info) != STT_FUNC) continue;
    if (strcmp(strtab + sym->st_name, kSymbol) != 0) continue;
    if (versym) {
      const char* version = version_name(verdef, strtab, versym[i] & 0x7fff);
      if (!version || strcmp(version, kVersion) != 0) continue;
    }
    return (vgetrandom_fn)(bias + sym->st_value);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  if (argc > 2 || calls <= 0) {
    fprintf(stderr, "usage: getrandom-probe [CALLS]   (CALLS > 0, default 1000)\n");
    return 2;
  }
  const uintptr_t ehdr = getauxval(AT_SYSINFO_EHDR);
  if (ehdr == 0) {
    printf("getrandom-probe: no vDSO (AT_SYSINFO_EHDR is 0)\n");
    return 1;
  }
  const vgetrandom_fn vgetrandom = find_vgetrandom(ehdr);
  if (!vgetrandom) {
    printf(
        "getrandom-probe: the vDSO at %#lx exports no %s@%s (Linux before 6.11, or an image "
        "without getrandom)\n",
        (unsigned long)ehdr, kSymbol, kVersion);
    return 1;
  }
  printf("getrandom-probe: vDSO at %#lx, %s@%s at +%#lx\n", (unsigned long)ehdr, kSymbol, kVersion,
         (unsigned long)((uintptr_t)vgetrandom - ehdr));

  struct state_params params;
  if (vgetrandom(NULL, 0, 0, &params, ~(size_t)0) != 0) {
    printf("getrandom-probe: the vDSO refused to describe its state\n");
    return 1;
  }
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t mapped = (params.size_of_opaque_state + page - 1) / page * page;
  void* state = mmap(NULL, mapped, (int)params.mmap_prot, (int)params.mmap_flags, -1, 0);
  if (state == MAP_FAILED) {
    printf("getrandom-probe: cannot map a state as the vDSO asks: %s\n", strerror(errno));
    return 1;
  }

  unsigned char bytes[16];
  for (long i = 0; i < calls; ++i) {
    const ssize_t got = vgetrandom(bytes, sizeof bytes, 0, state, params.size_of_opaque_state);
    if (got != (ssize_t)sizeof bytes) {
      printf("getrandom-probe: call %ld returned %zd (%s)\n", i + 1, got,
             got < 0 ? strerror((int)-got) : "short");
      return 1;
    }
  }
  printf("getrandom-probe: %ld call%s of 16 bytes, all served (state: %u bytes); last: ", calls,
         calls == 1 ? "" : "s", params.size_of_opaque_state);
  for (size_t i = 0; i < sizeof bytes; ++i) printf("%02x", bytes[i]);
  printf("\n");
  return 0;
}
