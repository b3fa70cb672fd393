/* libsimple.so: a minimal shared library exporting fun(); installed without
 * the executable bit to check that uprobes on non-executable files work. */
#include <stdio.h>

void fun(void)
{
  puts("fun");
}
