/* usdt_lib: loops forever (every millisecond) calling myclock() from
 * testlibs/libusdt_tp.so, which is where the USDT probes live; found at run
 * time through the rpath $ORIGIN/../testlibs. */
#include <unistd.h>

long myclock(void);

int main(void)
{
  for (;;) {
    myclock();
    usleep(1000);
  }
}
