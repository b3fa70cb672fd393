/* uprobe_fork_loop: forks once; parent and child both call uprobeFunction1()
 * every 0.5 ms forever, so a case can check that -p filters on one pid.  The
 * child dies with its parent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

__attribute__((noinline)) int uprobeFunction1(int *n, char c)
{
  (void)c;
  return *n;
}

int main(void)
{
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      return 0;
  }
  int n = 13;
  for (;;) {
    uprobeFunction1(&n, 'x');
    usleep(500);
  }
}
