/* struct_walk: builds a heap array of ten {a = index, b = 100} structs and
 * passes it to clear(), for pointer-arithmetic cases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct C {
  uint32_t a;
  uint64_t b;
};

__attribute__((noinline)) void print(struct C *c, size_t n)
{
  for (size_t i = 0; i < n; i++)
    printf("%u %lu\n", c[i].a, (unsigned long)c[i].b);
}

__attribute__((noinline)) void clear(struct C *c, size_t n)
{
  memset(c, 0, n * sizeof(*c));
}

int main(void)
{
  const size_t n = 10;
  struct C *c = malloc(n * sizeof(*c));
  if (c == NULL)
    return 1;
  for (size_t i = 0; i < n; i++) {
    c[i].a = (uint32_t)i;
    c[i].b = 100;
  }
  clear(c, n);
  free(c);
  return 0;
}
