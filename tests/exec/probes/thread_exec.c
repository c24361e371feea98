/* Execs its arguments from a second thread, while the first waits:
 *
 *   thread_exec PROGRAM [ARGS...]
 *
 * The kernel ends every other thread and gives the exec'ing thread the
 * process's id, so a supervisor attached to that thread sees its exec
 * event under the thread group's id, not the one it attached to.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static char** program;

static void* exec_program(void* unused) {
  (void)unused;
  execv(program[0], program);
  perror("thread_exec: execv");
  _exit(127);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  program = argv + 1;
  pthread_t thread;
  if (pthread_create(&thread, NULL, exec_program, NULL) != 0) return 2;
  for (;;) pause();
}
