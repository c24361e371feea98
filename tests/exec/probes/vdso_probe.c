/* Reports what `vdsoforge exec` gave this process, for the process-life tests:
 *
 *   vdso_probe [fork | exit N | raise N | exec PROGRAM ARGS...]
 *
 * prints "pid=P ehdr=0x... text=PERMS:NAME data=PERMS:NAME kernel_vdso=N
 * proc_auxv_ehdr=0x... uid=U euid=E egid=G" (the mapping at AT_SYSINFO_EHDR, the one
 * right below it, how many [vdso] mappings exist, AT_SYSINFO_EHDR as the
 * kernel's saved copy in /proc/self/auxv gives it, the real and effective
 * user ids and the effective group id), then: with "fork" a child (no exec) prints the same
 * line; "exit N" exits with N; "raise N" raises signal N; "exec" execs the
 * rest of the arguments.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

/* AT_SYSINFO_EHDR from /proc/self/auxv (0 if absent or unreadable). */
static unsigned long proc_auxv_ehdr(void) {
  unsigned long pair[2], value = 0;
  FILE* auxv = fopen("/proc/self/auxv", "rb");
  while (auxv && fread(pair, sizeof pair, 1, auxv) == 1 && pair[0] != AT_NULL)
    if (pair[0] == AT_SYSINFO_EHDR) value = pair[1];
  if (auxv) fclose(auxv);
  return value;
}

static void report(void) {
  const unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
  char text[160] = "none", data[160] = "none", line[512];
  int kernel_vdso = 0;
  unsigned long below_start = 0;
  FILE* maps = fopen("/proc/self/maps", "r");
  while (maps && fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    char perms[8], name[256] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255[^\n]", &start, &end, perms, name) < 3) continue;
    if (strstr(name, "[vdso]")) ++kernel_vdso;
    if (start == ehdr) snprintf(text, sizeof text, "%s:%s", perms, name);
    if (end == ehdr && start >= below_start) {
      below_start = start;
      snprintf(data, sizeof data, "%s:%s", perms, name);
    }
  }
  if (maps) fclose(maps);
  for (char* p = text; *p; ++p)
    if (*p == ' ') *p = '_';
  for (char* p = data; *p; ++p)
    if (*p == ' ') *p = '_';
  printf(
      "pid=%d ehdr=0x%lx text=%s data=%s kernel_vdso=%d proc_auxv_ehdr=0x%lx uid=%d euid=%d "
      "egid=%d\n",
      getpid(), ehdr, text, data, kernel_vdso, proc_auxv_ehdr(), (int)getuid(), (int)geteuid(),
      (int)getegid());
  fflush(stdout);
}

int main(int argc, char** argv) {
  report();
  if (argc < 2) return 0;
  if (strcmp(argv[1], "fork") == 0) {
    const pid_t pid = fork();
    if (pid == 0) {
      report();
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  if (strcmp(argv[1], "exit") == 0 && argc > 2) return atoi(argv[2]);
  if (strcmp(argv[1], "raise") == 0 && argc > 2) {
    raise(atoi(argv[2]));
    return 0;
  }
  if (strcmp(argv[1], "exec") == 0 && argc > 2) {
    execvp(argv[2], argv + 2);
    perror("execvp");
    return 127;
  }
  return 0;
}
