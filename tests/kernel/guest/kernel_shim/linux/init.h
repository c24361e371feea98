/* User-space stand-in (see linux/cache.h): the initcall becomes a pointer
 * the test program calls, as the kernel would at boot. */
#pragma once
#define __init
#define subsys_initcall(fn) int (*const vdso_test_initcall)(void) = fn
