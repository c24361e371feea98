// Breaks the rule "no stack protector".  vdsoforge_add_image() compiles with
// -fno-stack-protector and gives a source no way to undo it, so this file
// does by hand what -fstack-protector emits: compare a canary from %fs:0x28
// and call __stack_chk_fail on a mismatch.  Nothing in a vDSO provides that
// function or the TLS canary, so the build must stop, naming it.
extern "C" [[noreturn]] void __stack_chk_fail();

extern "C" [[gnu::visibility("default")]] long __vdso_getrandom(void* buffer, unsigned long len,
                                                                unsigned, void*, unsigned long) {
  unsigned long canary;
  asm volatile("mov %%fs:0x28, %0" : "=r"(canary));
  volatile char scratch[64];
  for (unsigned long i = 0; i < len && i < sizeof scratch; ++i) scratch[i] = static_cast<char>(i);
  unsigned long again;
  asm volatile("mov %%fs:0x28, %0" : "=r"(again));
  if (again != canary) __stack_chk_fail();
  return buffer ? static_cast<long>(scratch[0]) : 0;
}
extern "C" [[gnu::visibility("default")]] long getrandom(void*, unsigned long, unsigned, void*,
                                                         unsigned long)
    __attribute__((weak, alias("__vdso_getrandom")));
