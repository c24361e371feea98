// The control image of the consumer tests: a well-formed vDSO that exports no
// getrandom (only getcpu), so a consumer run on it must make every call a
// system call.  It proves the tests can tell "used the image" from "did not".
extern "C" [[gnu::visibility("default")]] long __vdso_getcpu(unsigned*, unsigned*, void*) {
  return -38;  // ENOSYS: the consumers under test never call it
}
extern "C" [[gnu::visibility("default")]] long getcpu(unsigned*, unsigned*, void*)
    __attribute__((weak, alias("__vdso_getcpu")));
