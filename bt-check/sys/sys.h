/* sys.h - everything bt-check asks the target system: probe inventories,
 * types (tracefs formats, BTF, DWARF), symbols.  Backed by the live
 * machine or by an offline snapshot directory (--sysroot); --snapshot
 * records what a program used.  Nothing else in bt-check touches the
 * system.
 *
 * The one door into bt-check/sys/, a library of its own (libbtsys.a) that
 * needs only libcommon.  Its files: core.c (sys_open/sys_close, dispatch
 * per provider), snapshot.c (live system or snapshot directory),
 * tracefs.c, kallsyms.c, btf.c, feature.c, perf.c (kernel side), elf.c,
 * dwarf.c, uprobe.c, usdt.c (user binaries), kheaders.c (kernel headers
 * for C definitions), list.c (-l).  The checker's passes only call these.
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
/* The program a -c command will run (bt-check --child-exe): the binary
 * of watchpoints that name none, as the -p process's executable is. */
void sys_set_child_exe(struct sys *s, const char *path);
/* Write the snapshot (if recording). 0 or -errno. */
int sys_close(struct sys *s);

/* Expand one parsed attach point into concrete ones (wildcards, lists,
 * library names, USDT locations...).  Appends to *out (a VEC of struct
 * attach_point *, fresh copies with need_expansion cleared), sorted as
 * bpftrace orders matches.  Errors/warnings go to d at loc, with
 * bpftrace's wording.  Returns false on a fatal error.
 *
 * flags: SYS_X_LISTING for -l (no "not found" errors, listing-only forms);
 * SYS_X_MULTI when the probe has more than one attach point (a missing
 * non-wildcard tracepoint is then a warning and the attach point is
 * dropped, else a fatal error).  Passing `true` means SYS_X_LISTING.
 *
 * Per provider (everything not listed is check-sem's to check):
 *  tracepoint   cat:event checked against the format file / wildcards
 *               against available_events; "tracepoint not found: c:e"
 *               (+ "Did you mean syscalls:e?"), "tracepoints not found: c:e".
 *  rawtracepoint  wildcards over available_events minus syscalls:sys_*;
 *               exact names pass unchecked (bare tracepoints are valid).
 *  kprobe/kretprobe  wildcards over the traceable functions
 *               (available_filter_functions, else kallsyms text symbols);
 *               an unknown exact name is kept with the warning "... is not
 *               traceable ...".
 *  kfunc/kretfunc  target = module (inferred, "vmlinux" by default;
 *               "ambiguous attach point ..." if several); wildcards give
 *               module:func matches.  Kernel support is not checked
 *               (see sys_kfunc_supported).
 *  uprobe/uretprobe  target resolved (-p executable when empty, "libc" via
 *               the loader cache, $PATH, globs; "uprobe target file '<t>'
 *               does not exist or is not executable"; warning "attaching
 *               to uprobe target file '<p>' but matched N binaries");
 *               functions matched over ELF symbols (cpp: demangled); an
 *               unknown exact function matches nothing (no attach point).
 *  usdt         one attach point per probe location (ns filled, usdt_*
 *               fields set); "usdt target file ...", "namespace for <ap>
 *               not specified, matched N probes" (+ INFO line, no
 *               location), "usdt probe must specify at least path or pid".
 *  software/hardware  "<ev> is not a software probe", "wildcards are not
 *               allowed for <p> probe type" (names: libcommon/perf_events.h);
 *               freq stays as written (0 = the default period).
 *  profile/interval, BEGIN/END  copied (listing: units expanded).
 *  watchpoint   target = -p executable (or the -c command's program)
 *               when empty; wildcard functions matched like uprobes.
 *  iter         "iter <name> not available for your kernel version."
 * An attach point whose wildcard matches nothing adds nothing and is not
 * an error (except tracepoints). */
enum sys_expand_flags {
	SYS_X_LISTING = 1 << 0,
	SYS_X_MULTI = 1 << 1,
};
typedef VEC(struct attach_point *) apvec;
bool sys_expand(struct sys *s, const struct attach_point *ap, apvec *out,
		struct diags *d, struct loc loc, unsigned flags);

/* Tracepoint `args` record for category:event (docs/bpftrace-compat.md
 * "Tracepoints"), NULL if the tracepoint does not exist: a complete TY_RECORD
 * named "struct _tracepoint_<cat>_<event>", is_tparg, as = AS_USER for
 * category syscalls else AS_KERNEL, with every format field (common_* and the
 * __pad_N bytes included).  The same pointer is returned for the same
 * event.  __data_loc fields are typed int64; sys_tracepoint_data_loc tells
 * them apart (reading one yields ctx + (u32 value & 0xffff)); it accepts the
 * record or a clone of it (matched by name). */
struct type *sys_tracepoint_args(struct sys *s, const char *category,
				 const char *event);
bool sys_tracepoint_data_loc(struct sys *s, const struct type *args,
			     const char *field);

/* A kernel type by C name ("struct task_struct", "union x", "enum e",
 * typedef "pid_t") from BTF, loaded lazily on first call (a program that
 * never asks never loads BTF).  Types defined in the DWARF of the
 * program's uprobe binaries (struct Foo behind a uprobe argument, casts
 * in uprobe programs) are found first.  Records are complete, with anonymous
 * struct/union members flattened and by-value members expanded; records
 * behind pointers are incomplete (name + size): ask again by name.
 * NULL if unknown. */
struct type *sys_kernel_type(struct sys *s, const char *name);

/* The kernel's header directories, found as bpftrace v0.20 finds them
 * (BPFTRACE_KERNEL_SOURCE and BPFTRACE_KERNEL_BUILD, else
 * /lib/modules/$(uname -r)/source and build), or the snapshot's copy of
 * them; machine: the target's `uname -m`.  false when there are none. */
bool sys_kernel_headers(struct sys *s, const char **src, const char **build,
			const char **machine);
/* A header file clang read: recorded in the snapshot when it lies in the
 * kernel's header directories. */
void sys_note_kernel_header(struct sys *s, const char *path);

/* Is there kernel BTF (BPFTRACE_BTF, /sys/kernel/btf/vmlinux or the
 * snapshot's)?  Live, only looks for the file; loads it when recording a
 * snapshot, so an offline compile sees the same answer. */
bool sys_has_btf(struct sys *s);

/* C definitions (libbpf's btf_dump) of the named kernel types ("struct
 * x", typedef names, ...) and of the enums holding the named enumerators,
 * with every type they depend on; "" when there is no BTF. */
const char *sys_btf_c_defs(struct sys *s, const char *const *names, size_t n);

/* A kernel enum constant by name from BTF (bpftrace accepts bare enum
 * value names as uint64 constants, e.g. sizeof(BTF_VAR_STATIC) == 8).
 * Loads BTF; false if unknown.  *enum_type (optional) gets its enum
 * ("enum pid_type"), NULL for an anonymous enum. */
bool sys_kernel_enum_value(struct sys *s, const char *name, uint64_t *value,
			   const char **enum_type);

/* kfunc/kretfunc args from BTF: record "struct kfunc:<module>:<func>_args"
 * (kretfunc: "struct kretfunc:..."), is_funcarg, AS_KERNEL; each parameter
 * at offset 8 * its first u64 slot (a parameter takes ceil(size/8) slots);
 * with ret (kretfunc) and a non-void function, then "$retval" (the
 * `retval` builtin; the name cannot be written as a field) in the next
 * slot: an fentry program may not read past the arguments.  size = 8 *
 * slots.  NULL if unknown. */
#define KFUNC_RETVAL "$retval"
struct type *sys_kfunc_args(struct sys *s, const char *module, const char *func, bool ret);

/* uprobe args from DWARF of binary `path` for function `func`: record
 * "struct uprobe:<path>:<func>_args", is_funcarg, AS_USER, parameter i at
 * offset 8*i (= argument register i).  NULL if the binary has no DWARF;
 * an empty record if the function is not described. */
struct type *sys_uprobe_args(struct sys *s, const char *path, const char *func);

/* Address of a kernel symbol (kaddr, /proc/kallsyms) / user symbol in the
 * ELF file path (uaddr: st_value and st_size).  false if not found. */
bool sys_kernel_symbol(struct sys *s, const char *name, uint64_t *addr);
bool sys_user_symbol(struct sys *s, const char *path, const char *name,
		     uint64_t *addr, uint64_t *size);

/* cgroupid("path"): the cgroup id (kernfs file handle = inode number) of
 * the cgroup2 directory at path.  0, or the errno of the failure: the
 * path does not exist (ENOENT), or its file system's handle is not 8
 * bytes long (EOVERFLOW: not a cgroup). */
int sys_cgroup_id(struct sys *s, const char *path, uint64_t *id);

/* Can kfunc/kretfunc programs be loaded here?  Live: a test fentry
 * program is loaded (as bpftrace does); with a sysroot: the snapshot's
 * `features`.  Decided once per sys. */
bool sys_kfunc_supported(struct sys *s);

/* What the program is compiled against: kernel release, BTF identity,
 * snapshot, build ids of traced binaries (sys/target.c; meta.target). */
struct meta;
void sys_target(struct sys *s, struct meta *m);

/* Listing (-l / -lv, docs/bpftrace-compat.md "Listing"): print matching
 * probes (or BTF types for "struct ..."/"union ..."/"enum ..." searches) to
 * out; an empty pattern lists everything.  Search-string errors (located in
 * the pattern, e.g.  "invalid character") and the "No DWARF found" warnings
 * (no location) go to d.  0, or -1 after an error. */
int sys_list(struct sys *s, const char *pattern, bool verbose, FILE *out,
	     struct diags *d);

#endif
