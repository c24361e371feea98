// Breaks the rule "no writable data": a counter in .data.
static long calls = 1;

extern "C" [[gnu::visibility("default")]] long __vdso_getrandom(void*, unsigned long, unsigned,
                                                                void*, unsigned long) {
  return ++calls;
}
extern "C" [[gnu::visibility("default")]] long getrandom(void*, unsigned long, unsigned, void*,
                                                         unsigned long)
    __attribute__((weak, alias("__vdso_getrandom")));
