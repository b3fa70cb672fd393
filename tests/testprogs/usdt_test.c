/* usdt_test: loops forever (one round per millisecond); each round reads the
 * time and fires the USDT probes tracetest:testprobe, tracetest:testprobe2 and
 * tracetest2:testprobe2 with (tv_sec, a greeting string). */
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "sdt_compat.h"

__attribute__((noinline)) static long fire_probes(void)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long sec = (long)tv.tv_sec;
  /* on the stack, so the strings are resident when a tracer reads them */
  char s1[] = "Hello world";
  char s2[] = "Hello world2";
  char s3[] = "Hello world3";
  STAP_PROBE2(tracetest, testprobe, sec, s1);
  STAP_PROBE2(tracetest, testprobe2, sec, s2);
  STAP_PROBE2(tracetest2, testprobe2, sec, s3);
  return sec;
}

int main(void)
{
  for (;;) {
    fire_probes();
    usleep(1000);
  }
}
