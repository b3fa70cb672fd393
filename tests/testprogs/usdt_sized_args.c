/* usdt_sized_args: loops forever (every millisecond) firing test:probe1 with
 * the 32-bit value 0xdeadbeef, test:probe2 with the 32-bit value 1 and
 * test:probe3 with the 64-bit value UINT64_MAX, so argument sizes matter. */
#include <stdint.h>
#include <unistd.h>

#include "sdt_compat.h"

int main(void)
{
  uint32_t a = 0xdeadbeef;
  uint32_t b = 1;
  uint64_t c = UINT64_MAX;
  for (;;) {
    STAP_PROBE1(test, probe1, a);
    STAP_PROBE1(test, probe2, b);
    STAP_PROBE1(test, probe3, c);
    usleep(1000);
  }
}
