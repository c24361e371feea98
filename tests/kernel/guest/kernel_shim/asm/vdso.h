/* User-space stand-in (see linux/cache.h): struct vdso_image as Linux 6.12
 * declares it in arch/x86/include/asm/vdso.h, field for field, so that a
 * generated file naming a field the kernel lacks fails to compile here too. */
#pragma once
#include <stddef.h>

struct vdso_image {
  void *data;
  unsigned long size;
  unsigned long alt, alt_len;
  unsigned long extable_base, extable_len;
  const void *extable;
  long sym_vvar_start;
  long sym_vvar_page;
  long sym_pvclock_page;
  long sym_hvclock_page;
  long sym_timens_page;
  long sym_VDSO32_NOTE_MASK;
  long sym___kernel_sigreturn;
  long sym___kernel_rt_sigreturn;
  long sym___kernel_vsyscall;
  long sym_int80_landing_pad;
  long sym_vdso32_sigreturn_landing_pad;
  long sym_vdso32_rt_sigreturn_landing_pad;
};

extern const struct vdso_image vdso_image_64;

/* The test program defines it: records the call instead of patching. */
int init_vdso_image(const struct vdso_image *image);
