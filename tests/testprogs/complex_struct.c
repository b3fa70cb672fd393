/* complex_struct: calls func() once with a struct of a pointer and several
 * small arrays of different element widths, filled with known bytes. */
#include <stdint.h>

struct Foo {
  char *a;
  char b[4];
  uint8_t c[4];
  int d[4];
  uint16_t e[4];
  uint64_t f[4];
};

__attribute__((noinline)) void func(struct Foo *foo)
{
  (void)foo;
}

int main(void)
{
  char bytes[4] = { 9, 8, 7, 6 };
  struct Foo foo = {
    .a = bytes,
    .b = { 5, 4, 3, 2 },
    .c = { 1, 2, 3, 4 },
    .d = { 5, 6, 7, 8 },
    .e = { 9, 10, 11, 12 },
    .f = { 13, 14, 15, 16 },
  };
  func(&foo);
  return 0;
}
