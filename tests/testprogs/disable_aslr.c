/* disable_aslr: runs PROG ARGS... with address-space randomisation turned off
 * (personality ADDR_NO_RANDOMIZE), so addresses are stable across runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/personality.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: disable_aslr PROG [ARGS...]\n");
    return 2;
  }
  int cur = personality(0xffffffff);
  if (cur == -1 || personality((unsigned long)cur | ADDR_NO_RANDOMIZE) == -1) {
    perror("personality");
    return 1;
  }
  execvp(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
