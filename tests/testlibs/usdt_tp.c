/* libusdt_tp.so: shared library holding USDT probes for usdt_lib.  myclock()
 * reads the time and fires tracetestlib:lib_probe_1 twice and
 * tracetestlib2:lib_probe_2 once, each with (tv_sec, a greeting string). */
#include <stddef.h>
#include <sys/time.h>

#include "../testprogs/sdt_compat.h"

long myclock(void)
{
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long sec = (long)tv.tv_sec;
  /* on the stack, so the strings are resident when a tracer reads them */
  char s1[] = "Hello world";
  char s2[] = "Hello world2";
  char s3[] = "Hello world3";
  STAP_PROBE2(tracetestlib, lib_probe_1, sec, s1);
  STAP_PROBE2(tracetestlib, lib_probe_1, sec, s2);
  STAP_PROBE2(tracetestlib2, lib_probe_2, sec, s3);
  return sec;
}
