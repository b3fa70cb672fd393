/* watchpoint: maps 2 MiB at the fixed address 0x10000000, writes that address
 * ("%p") to /tmp/watchpoint_mem, then stores the bytes 0..9 to it, 250 ms
 * apart, for absolute-address watchpoints. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define ADDR ((void *)0x10000000)
#define SIZE (2UL << 20)

int main(void)
{
  void *mem = mmap(ADDR, SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (mem == MAP_FAILED || mem != ADDR) {
    perror("mmap");
    return 1;
  }
  FILE *f = fopen("/tmp/watchpoint_mem", "w");
  if (f == NULL) {
    perror("/tmp/watchpoint_mem");
    return 1;
  }
  fprintf(f, "%p", mem);
  fclose(f);

  volatile char *p = mem;
  for (int i = 0; i < 10; i++) {
    *p = (char)i;
    usleep(250 * 1000);
  }
  munmap(mem, SIZE);
  return 0;
}
