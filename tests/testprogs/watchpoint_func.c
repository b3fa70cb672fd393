/* watchpoint_func: loops forever calling increment(0, i), which bumps *i,
 * then bumping *i again itself and sleeping 1 ms; a watchpoint on arg1 of
 * increment therefore fires on every round. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) void increment(int _, int *i)
{
  (void)_;
  (*i)++;
}

int main(void)
{
  int *i = malloc(sizeof(*i));
  if (i == NULL)
    return 1;
  *i = 0;
  for (;;) {
    increment(0, i);
    (*i)++;
    usleep(1000);
  }
}
