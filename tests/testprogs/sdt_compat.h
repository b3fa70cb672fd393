/* Shared by the USDT test programs: use <sys/sdt.h> (systemtap-sdt-dev) when
 * the compiler can find it; otherwise turn the probe macros into no-ops so the
 * programs still build, and systemtap_sys_sdt_check reports the lack. */
#ifndef TESTPROGS_SDT_COMPAT_H
#define TESTPROGS_SDT_COMPAT_H

#if defined(__has_include)
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define TESTPROGS_HAVE_SDT 1
#endif
#endif

#ifndef TESTPROGS_HAVE_SDT
#define TESTPROGS_HAVE_SDT 0
#define STAP_PROBE(p, n) do { } while (0)
#define STAP_PROBE1(p, n, a) do { (void)(a); } while (0)
#define STAP_PROBE2(p, n, a, b) do { (void)(a); (void)(b); } while (0)
#define STAP_PROBE3(p, n, a, b, c) \
  do { (void)(a); (void)(b); (void)(c); } while (0)
#endif

#endif
