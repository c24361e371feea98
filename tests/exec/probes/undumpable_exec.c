/* Makes itself non-dumpable, then execs its arguments:
 *
 *   undumpable_exec PROGRAM [ARGS...]
 *
 * The kernel lets a tracer without CAP_SYS_PTRACE attach only to a dumpable
 * process, and the new program becomes dumpable again only once the execve
 * is past its point of no return.  Under a `vdsoforge exec` without that
 * capability the call is therefore one exec cannot attach to while the
 * process is alive and untraced: the case where exec must end the tree
 * instead of letting the program run on the kernel's vDSO.
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    perror("undumpable_exec: PR_SET_DUMPABLE");
    return 2;
  }
  execv(argv[1], argv + 1);
  perror("undumpable_exec: execv");
  return 127;
}
