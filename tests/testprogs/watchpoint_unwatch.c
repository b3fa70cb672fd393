/* watchpoint_unwatch: calls increment(i) once, sleeps 1 s, then bumps *i four
 * more times directly; a script that unwatches after the first hit must see
 * exactly one hit. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) void increment(int *i)
{
  (*i)++;
}

int main(void)
{
  volatile int *i = malloc(sizeof(*i));
  if (i == NULL)
    return 1;
  *i = 0;
  increment((int *)i);
  sleep(1);
  for (int n = 0; n < 4; n++)
    (*i)++;
  return 0;
}
