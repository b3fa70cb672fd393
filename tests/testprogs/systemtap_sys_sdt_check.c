/* systemtap_sys_sdt_check: exits 0 when the USDT test programs (built with the
 * same compiler and flags) got their probes from <sys/sdt.h>, 1 otherwise.
 * Conformance cases use it as a REQUIRES gate. */
#include "sdt_compat.h"

int main(void)
{
  return TESTPROGS_HAVE_SDT ? 0 : 1;
}
