/* The /init of the kernel harness's initramfs (tests/kernel/), built static.
 *
 * It mounts /proc, /sys and /dev, then runs the steps listed in /plan, one
 * per line, each as `NAME<TAB>TIMEOUT_SECONDS<TAB>ARG0<TAB>ARG1...`, with its
 * output on the serial console between two marker lines:
 *
 *   @@vdsoforge step NAME begin
 *   ...what the program printed...
 *   @@vdsoforge step NAME exit STATUS seconds S.SS
 *
 * STATUS is the exit status, "signal N" or "timeout".  Two programs are
 * built in: "@cat FILE" prints FILE, "@base64 FILE" prints it base64-encoded
 * between "@@vdsoforge base64 begin" and "... end" lines (how a file leaves
 * the guest).  The boot
 * starts with "@@vdsoforge boot begin RELEASE" and ends with "@@vdsoforge
 * boot end"; then the guest powers off.  The host reads the console and
 * judges; /init judges nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxArgs = 32, kLineMax = 4096 };

static void console_setup(void) {
  mkdir("/dev", 0755);
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY)
    perror("init: mount /dev");
  const int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd >= 0) {
    for (int i = 0; i < 3; ++i) dup2(fd, i);
    if (fd > 2) close(fd);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static void mount_or_say(const char* source, const char* target, const char* type) {
  mkdir(target, 0755);
  if (mount(source, target, type, 0, NULL) != 0)
    printf("init: mount %s on %s: %s\n", type, target, strerror(errno));
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int print_file(const char* path) {
  FILE* in = fopen(path, "r");
  if (in == NULL) {
    printf("init: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, in)) > 0) fwrite(buffer, 1, got, stdout);
  fclose(in);
  return 0;
}

static int print_base64(const char* path) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  FILE* in = fopen(path, "rb");
  if (in == NULL) {
    printf("init: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("@@vdsoforge base64 begin %s\n", path);
  unsigned char group[3];
  size_t got, column = 0;
  while ((got = fread(group, 1, 3, in)) > 0) {
    const unsigned v = (unsigned)group[0] << 16 | (got > 1 ? (unsigned)group[1] << 8 : 0) |
                       (got > 2 ? group[2] : 0);
    char out[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
                   got > 1 ? alphabet[v >> 6 & 63] : '=', got > 2 ? alphabet[v & 63] : '='};
    fwrite(out, 1, 4, stdout);
    if ((column += 4) == 76) {
      putchar('\n');
      column = 0;
    }
  }
  if (column) putchar('\n');
  fclose(in);
  printf("@@vdsoforge base64 end\n");
  return 0;
}

/* Runs argv with a timeout; returns a description of how it ended. */
static void run_step(char** argv, unsigned timeout, char* status, size_t status_size) {
  const pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    printf("init: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  if (pid < 0) {
    snprintf(status, status_size, "fork failed: %s", strerror(errno));
    return;
  }
  const double deadline = now_seconds() + timeout;
  for (;;) {
    int wstatus;
    const pid_t done = waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(wstatus))
        snprintf(status, status_size, "%d", WEXITSTATUS(wstatus));
      else
        snprintf(status, status_size, "signal %d", WTERMSIG(wstatus));
      return;
    }
    if (now_seconds() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      snprintf(status, status_size, "timeout");
      return;
    }
    usleep(20000);
  }
}

/* Reaps orphans (children of steps' children) without blocking. */
static void reap_orphans(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void run_plan(FILE* plan) {
  char line[kLineMax];
  while (fgets(line, sizeof line, plan) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#') continue;
    char* fields[kMaxArgs + 3];
    int count = 0;
    for (char* field = strtok(line, "\t"); field != NULL && count < kMaxArgs + 2;
         field = strtok(NULL, "\t"))
      fields[count++] = field;
    if (count < 3) {
      printf("init: malformed plan line (need NAME, TIMEOUT, PROGRAM)\n");
      continue;
    }
    fields[count] = NULL;
    const char* name = fields[0];
    const unsigned timeout = (unsigned)strtoul(fields[1], NULL, 10);
    char** argv = &fields[2];
    char status[64];
    printf("@@vdsoforge step %s begin\n", name);
    const double start = now_seconds();
    if (strcmp(argv[0], "@base64") == 0)
      snprintf(status, sizeof status, "%d", argv[1] ? print_base64(argv[1]) : 2);
    else if (strcmp(argv[0], "@cat") == 0)
      snprintf(status, sizeof status, "%d", argv[1] ? print_file(argv[1]) : 2);
    else
      run_step(argv, timeout, status, sizeof status);
    reap_orphans();
    printf("@@vdsoforge step %s exit %s seconds %.2f\n", name, status, now_seconds() - start);
  }
}

int main(void) {
  console_setup();
  mount_or_say("proc", "/proc", "proc");
  mount_or_say("sysfs", "/sys", "sysfs");
  mkdir("/tmp", 01777);
  setenv("PATH", "/bin", 1);
  setenv("HOME", "/", 1);

  struct utsname uts;
  uname(&uts);
  /* A new line first: the firmware leaves escape sequences on the console. */
  printf("\n@@vdsoforge boot begin %s\n", uts.release);
  FILE* plan = fopen("/plan", "r");
  if (plan == NULL) {
    printf("init: cannot open /plan: %s\n", strerror(errno));
  } else {
    run_plan(plan);
    fclose(plan);
  }
  printf("@@vdsoforge boot end\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}
