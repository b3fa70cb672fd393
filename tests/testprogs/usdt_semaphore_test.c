/* usdt_semaphore_test: tracetest:testprobe has a USDT semaphore (the counter a
 * tracer raises while attached).  Loops forever (every millisecond) firing the
 * probe with (tv_sec, "tracetest_testprobe_semaphore: N\n"), N being the
 * semaphore's current value. */
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#define _SDT_HAS_SEMAPHORES 1
#include "sdt_compat.h"

__extension__ unsigned short tracetest_testprobe_semaphore
    __attribute__((section(".probes"))) __attribute__((used));

int main(void)
{
  struct timeval tv;
  char msg[64];
  for (;;) {
    gettimeofday(&tv, NULL);
    long sec = (long)tv.tv_sec;
    snprintf(msg, sizeof(msg), "tracetest_testprobe_semaphore: %u\n",
             (unsigned)*(volatile unsigned short *)&tracetest_testprobe_semaphore);
    STAP_PROBE2(tracetest, testprobe, sec, msg);
    usleep(1000);
  }
}
