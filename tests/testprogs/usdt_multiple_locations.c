/* usdt_multiple_locations: loops forever (every millisecond) firing
 * tracetest:testprobe from two places, tracetest:testprobe2 from one and
 * tracetest:testprobe3 from three: three probes with six locations.  Each
 * fires with (tv_sec, which call site of that probe it is: 1, 2, 3). */
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

#include "sdt_compat.h"

int main(void)
{
  struct timeval tv;
  for (;;) {
    gettimeofday(&tv, NULL);
    long sec = (long)tv.tv_sec;
    STAP_PROBE2(tracetest, testprobe, sec, 1);
    STAP_PROBE2(tracetest, testprobe, sec, 2);
    STAP_PROBE2(tracetest, testprobe2, sec, 1);
    STAP_PROBE2(tracetest, testprobe3, sec, 1);
    STAP_PROBE2(tracetest, testprobe3, sec, 2);
    STAP_PROBE2(tracetest, testprobe3, sec, 3);
    usleep(1000);
  }
}
