/* sys.h - everything bt-check asks the target system: probe inventories,
 * types (tracefs formats, BTF, DWARF), symbols.  Backed by the live
 * machine or by an offline snapshot directory (--sysroot); --snapshot
 * records what a program used.  Nothing else in bt-check touches the
 * system.
 *
 * Owner: the sys_*.c files.  The semantic analyser only calls these.
 */
#ifndef BT_CHECK_SYS_H
#define BT_CHECK_SYS_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "node.h"
#include "type.h"

struct sys;

/* sysroot: NULL for the live system, else a snapshot directory.
 * snapshot_dir: non-NULL to record every answer into that directory.
 * pid: -p PID (0 if none). */
struct sys *sys_open(const char *sysroot, const char *snapshot_dir, int pid);
/* Write the snapshot (if recording). 0 or -errno. */
int sys_close(struct sys *s);

/* Expand one parsed attach point into concrete ones (wildcards, lists,
 * library names, USDT locations...).  Appends to *out (a VEC of struct
 * attach_point *).  Errors/warnings go to d at loc, with bpftrace's
 * wording.  Returns false on a fatal error. */
typedef VEC(struct attach_point *) apvec;
bool sys_expand(struct sys *s, const struct attach_point *ap, apvec *out,
		struct diags *d, struct loc loc, bool listing);

/* Tracepoint `args` record for category:event (brief §7.4), NULL if the
 * tracepoint does not exist. */
struct type *sys_tracepoint_args(struct sys *s, const char *category,
				 const char *event);

/* A kernel type by C name ("struct task_struct", "union x", typedef
 * "pid_t") from BTF, loaded lazily on first call.  NULL if unknown. */
struct type *sys_kernel_type(struct sys *s, const char *name);

/* kfunc/kretfunc args (and retval as field "retval") from BTF. */
struct type *sys_kfunc_args(struct sys *s, const char *module, const char *func);

/* uprobe args from DWARF of binary `path` for function `func`. */
struct type *sys_uprobe_args(struct sys *s, const char *path, const char *func);

/* Address of a kernel symbol (kaddr) / user symbol in path (uaddr, with
 * its size).  false if not found. */
bool sys_kernel_symbol(struct sys *s, const char *name, uint64_t *addr);
bool sys_user_symbol(struct sys *s, const char *path, const char *name,
		     uint64_t *addr, uint64_t *size);

/* cgroupid("path"): inode number of the cgroup directory. */
bool sys_cgroup_id(struct sys *s, const char *path, uint64_t *id);

/* Listing (-l / -lv): print matching probes to out. */
int sys_list(struct sys *s, const char *pattern, bool verbose, FILE *out,
	     struct diags *d);

#endif
