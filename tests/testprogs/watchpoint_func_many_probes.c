/* watchpoint_func_many_probes: calls increment() 20 times, each time on a
 * newly allocated int, so more addresses are watched than there are debug
 * registers. */
#include <stdlib.h>

__attribute__((noinline)) void increment(int *i)
{
  (*i)++;
}

int main(void)
{
  for (int n = 0; n < 20; n++) {
    int *i = malloc(sizeof(*i));
    if (i == NULL)
      return 1;
    *i = 0;
    increment(i);
  }
  return 0;
}
