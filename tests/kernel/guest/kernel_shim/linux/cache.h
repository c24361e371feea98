/* User-space stand-in for the kernel header, so that the vdso-image-64.c
 * `vdsoforge embed --format kernel` writes compiles into a test program
 * (tests/kernel/guest/vdso_match.c).  Only what that file uses. */
#pragma once
#define __ro_after_init
#define __aligned(x) __attribute__((aligned(x)))
