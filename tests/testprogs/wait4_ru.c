/* wait4_ru: forks a child that exits at once and reaps it with
 * wait4(child, NULL, 0, &rusage), so the rusage argument is non-NULL. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

int main(void)
{
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0)
    _exit(0);
  struct rusage ru;
  if (syscall(SYS_wait4, pid, NULL, 0, &ru) != pid) {
    perror("wait4");
    return 1;
  }
  return 0;
}
