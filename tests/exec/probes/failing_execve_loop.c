/* A program that keeps calling execve on FILE, an executable file of no
 * format the kernel knows, so that under `vdsoforge exec` it spends its life
 * in execve calls exec attaches to and holds until they fail (ENOEXEC, after
 * the kernel opened the file: both of exec's gates hear each call):
 *
 *   failing_execve_loop FILE
 *
 * Writes "r" to stdout once its handlers are in, then one "h" for each
 * SIGHUP it handles.  SIGTERM keeps its default action.  The test sends
 * signals one at a time and waits for each "h": a signal forwarded while a
 * call was held must still reach the program.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_hangup(int signal) {
  (void)signal;
  const char said = 'h';
  (void)!write(STDOUT_FILENO, &said, 1);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_hangup;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGHUP, &action, NULL) != 0) return 2;
  if (write(STDOUT_FILENO, "r", 1) != 1) return 2;
  char* const no_format[] = {argv[1], NULL};
  for (;;) execve(argv[1], no_format, environ);
}
