// Breaks the rule "exactly the listed exports": __vdso_extra leaks out.
extern "C" [[gnu::visibility("default")]] long __vdso_getrandom(void*, unsigned long, unsigned,
                                                                void*, unsigned long) {
  return -38;
}
extern "C" [[gnu::visibility("default")]] long getrandom(void*, unsigned long, unsigned, void*,
                                                         unsigned long)
    __attribute__((weak, alias("__vdso_getrandom")));
extern "C" [[gnu::visibility("default")]] long __vdso_extra() { return 1; }
