/* string_args: calls print("hello", "world") once.  The strings are copied to
 * the stack first: a tracer reads them without faulting pages in, and the
 * read-only data page of a literal may not be mapped yet at that point. */
#include <stdio.h>

__attribute__((noinline)) void print(char *a, char *b)
{
  printf("%s %s\n", a, b);
}

int main(void)
{
  char hello[] = "hello";
  char world[] = "world";
  print(hello, world);
  return 0;
}
