/* kfunc_args CMD SIZE: sleeps 1 s, then calls bpf(2) with that command and
 * size on a buffer whose bytes are all non-zero, so the kernel rejects it
 * (e.g. 1111 2222 fails with E2BIG) after the probe has seen the arguments. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: kfunc_args CMD SIZE\n");
    return 2;
  }
  long cmd = strtol(argv[1], NULL, 0);
  unsigned long size = strtoul(argv[2], NULL, 0);
  size_t len = size > 0 ? size : 1;
  char *buf = malloc(len);
  if (buf == NULL)
    return 1;
  memset(buf, 0xff, len);

  sleep(1);
  long r = syscall(SYS_bpf, cmd, buf, size);
  if (r < 0)
    perror("bpf");
  free(buf);
  return 0;
}
