/* usdt_quoted_probe: loops forever (every millisecond) firing a USDT probe in
 * provider "test" whose name was written as the quoted string "probe1", with
 * the int argument 1. */
#include <unistd.h>

#include "sdt_compat.h"

int main(void)
{
  int one = 1;
  for (;;) {
    STAP_PROBE1(test, "probe1", one);
    usleep(1000);
  }
}
