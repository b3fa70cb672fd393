/* uprobe_library: reads 4 bytes from /dev/zero with fopen/fread/fclose, so a
 * case can probe libc's fread. */
#include <stdio.h>

int main(void)
{
  char buf[4];
  FILE *f = fopen("/dev/zero", "r");
  if (f == NULL) {
    perror("/dev/zero");
    return 1;
  }
  size_t got = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  return got == sizeof(buf) ? 0 : 1;
}
