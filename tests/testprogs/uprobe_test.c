/* uprobe_test: the main uprobe target.  Has known global variables (for
 * uaddr()), two functions with DWARF-described arguments (for args/-lv), and
 * calls each function once, one second after start, then exits. */
#include <unistd.h>

int GLOBAL_A = 0x55555555;
int GLOBAL_B = (int)0x88888888;
int GLOBAL_C = 0x33333333;
char GLOBAL_D = 8;

struct Foo {
  int a;
  char b[10];
  int c[3];
};

__attribute__((noinline)) int uprobeFunction1(int *n, char c)
{
  (void)c;
  return *n;
}

__attribute__((noinline)) struct Foo *uprobeFunction2(struct Foo *foo1,
                                                      struct Foo *foo2)
{
  (void)foo2;
  return foo1;
}

int main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  struct Foo foo1 = { .a = 123, .b = "hello", .c = { 1, 2, 3 } };
  struct Foo foo2 = { .a = 456, .b = "world", .c = { 4, 5, 6 } };
  int n = 13;

  sleep(1);
  uprobeFunction1(&n, 'x');
  uprobeFunction2(&foo1, &foo2);
  return 0;
}
