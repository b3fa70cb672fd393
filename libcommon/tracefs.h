/* tracefs.h - where the kernel's tracing file systems are, and mounting
 * them when absent.  A freshly booted machine may have neither tracefs nor
 * debugfs mounted; mounting needs CAP_SYS_ADMIN, so the privileged part
 * (bt-load, which the driver runs as `bt-load --mount-tracefs` before the
 * unprivileged compile) does it; bt-check does only when run as root.
 */
#ifndef BT_TRACEFS_H
#define BT_TRACEFS_H

#include <stdbool.h>

/* The live tracefs root ("/sys/kernel/tracing" or
 * "/sys/kernel/debug/tracing"), NULL if neither has events/.  With
 * may_mount, tracefs is first mounted at /sys/kernel/tracing when absent
 * (this fails quietly without CAP_SYS_ADMIN). */
const char *tracefs_root(bool may_mount);

/* debugfs at /sys/kernel/debug (bpf_trace_printk's output is read at
 * /sys/kernel/debug/tracing/trace_pipe): mounted when absent.  False if it
 * is not there afterwards. */
bool debugfs_ensure(void);

#endif
