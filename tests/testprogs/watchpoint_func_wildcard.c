/* watchpoint_func_wildcard: has functions increment_0 .. increment_20, each
 * incrementing the int it is given, and calls them once each in order on
 * newly allocated ints, for wildcarded watchpoint probes (more of them than
 * there are debug registers). */
#include <stdlib.h>

#define INCREMENT(n)                                      \
  __attribute__((noinline)) void increment_##n(int *i)    \
  {                                                       \
    (*i)++;                                               \
  }

INCREMENT(0)
INCREMENT(1)
INCREMENT(2)
INCREMENT(3)
INCREMENT(4)
INCREMENT(5)
INCREMENT(6)
INCREMENT(7)
INCREMENT(8)
INCREMENT(9)
INCREMENT(10)
INCREMENT(11)
INCREMENT(12)
INCREMENT(13)
INCREMENT(14)
INCREMENT(15)
INCREMENT(16)
INCREMENT(17)
INCREMENT(18)
INCREMENT(19)
INCREMENT(20)

static int *new_int(void)
{
  int *i = malloc(sizeof(*i));
  if (i == NULL)
    exit(1);
  *i = 0;
  return i;
}

int main(void)
{
  increment_0(new_int());
  increment_1(new_int());
  increment_2(new_int());
  increment_3(new_int());
  increment_4(new_int());
  increment_5(new_int());
  increment_6(new_int());
  increment_7(new_int());
  increment_8(new_int());
  increment_9(new_int());
  increment_10(new_int());
  increment_11(new_int());
  increment_12(new_int());
  increment_13(new_int());
  increment_14(new_int());
  increment_15(new_int());
  increment_16(new_int());
  increment_17(new_int());
  increment_18(new_int());
  increment_19(new_int());
  increment_20(new_int());
  return 0;
}
