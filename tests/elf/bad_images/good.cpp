// A minimal well-formed image: the two getrandom names, nothing else.
extern "C" [[gnu::visibility("default")]] long __vdso_getrandom(void*, unsigned long, unsigned,
                                                                void*, unsigned long) {
  return -38;  // ENOSYS: this image exists to be checked, not called
}
extern "C" [[gnu::visibility("default")]] long getrandom(void*, unsigned long, unsigned, void*,
                                                         unsigned long)
    __attribute__((weak, alias("__vdso_getrandom")));

// Keeps a callee-saved register live across a call, so it must push.
[[gnu::noinline]] static long opaque(long x) {
  asm volatile("" : "+r"(x));
  return x;
}
extern "C" [[gnu::used, gnu::visibility("hidden")]] long uses_the_stack(long a, long b) {
  const long kept = opaque(a);
  return kept + opaque(b) + a;
}
