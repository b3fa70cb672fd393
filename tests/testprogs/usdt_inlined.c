/* usdt_inlined: an always-inlined function fires tracetest:testprobe with
 * (tv_sec, its parameter, which lives on the caller's stack); it is inlined at
 * two call sites (values 999 and 100), giving two probe locations.  One round
 * per second, forever. */
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "sdt_compat.h"

static inline __attribute__((always_inline)) void fire(int on_stack)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long sec = (long)tv.tv_sec;
  STAP_PROBE2(tracetest, testprobe, sec, on_stack);
}

int main(void)
{
  for (;;) {
    fire(999);
    fire(100);
    sleep(1);
  }
}
