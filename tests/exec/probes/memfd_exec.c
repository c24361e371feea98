/* Copies PROGRAM into a memfd and execs it from there (fexecve), as runc and
 * other self-copying launchers do:
 *
 *   memfd_exec PROGRAM [ARGS...]
 *
 * The memfd's file system is the kernel's internal one, which no mount of
 * any namespace shows: exec's fanotify gate cannot mark it, and hears of
 * the exec only when the ELF interpreter is opened, from inside it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const int in = open(argv[1], O_RDONLY | O_CLOEXEC);
  const int copy = memfd_create("memfd-exec", MFD_CLOEXEC);
  if (in < 0 || copy < 0) {
    perror("memfd_exec");
    return 2;
  }
  char buffer[65536];
  ssize_t n;
  while ((n = read(in, buffer, sizeof buffer)) > 0)
    if (write(copy, buffer, (size_t)n) != n) return 2;
  fexecve(copy, argv + 1, environ);
  perror("memfd_exec: fexecve");
  return 127;
}
