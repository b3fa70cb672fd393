/* probe_types.h - the probe providers table and parsed attach points.
 *
 * Adding a probe type touches, in pipeline order:
 *   - here: its PT_ value; probe_types.c: its row (name, aliases);
 *   - libcommon/ap_parse.c: the forms of its attach points (part counts,
 *     messages);
 *   - bt-check/probes.c: its semantic checks; bt-check/sys/core.c and the
 *     bt-check/sys/ reader of its targets: expansion and -l listing
 *     (sys/list.c); bt-check/builtins.c and calls.c: the builtins and
 *     functions it allows;
 *   - bt-codegen/probes.c: its program section and context;
 *     builtins.c: where its arguments come from;
 *   - bt-load/attach.c: its place in the attach order and its attach
 *     function (attach_*.c); obj_check.c: its section names;
 *   - man/bpftrace.8, docs/bpftrace-compat.md "Attach points", ir-spec/obj.md.
 */
#ifndef BT_PROBE_TYPES_H
#define BT_PROBE_TYPES_H

#include <stdbool.h>
#include <stdint.h>

enum probe_type {
	PT_INVALID,
	PT_KPROBE, PT_KRETPROBE, PT_UPROBE, PT_URETPROBE, PT_USDT,
	PT_BEGIN, PT_END, PT_TRACEPOINT, PT_PROFILE, PT_INTERVAL,
	PT_SOFTWARE, PT_HARDWARE, PT_WATCHPOINT, PT_ASYNCWATCHPOINT,
	PT_KFUNC, PT_KRETFUNC, PT_ITER, PT_RAWTRACEPOINT,
	PT__COUNT
};

/* Look up a provider by full name or alias; PT_INVALID if unknown. */
enum probe_type probe_type_lookup(const char *name);
const char *probe_type_name(enum probe_type t);

/* A parsed attach point (docs/bpftrace-compat.md "Attach points"
 * AttachPoint). Strings are NULL when absent. */
struct attach_point {
	enum probe_type provider;
	const char *raw;          /* raw text as written (after $N substitution) */
	const char *target;       /* path, tracepoint category, unit, event, iter name */
	const char *lang;         /* "cpp" */
	const char *ns;           /* usdt provider */
	const char *func;         /* function / event / probe name */
	const char *pin;          /* iter pin path */
	const char *mode;         /* watchpoint mode "rw" */
	uint64_t freq;            /* profile/interval rate, software/hardware count */
	uint64_t len;             /* watchpoint length */
	uint64_t address;         /* uprobe/watchpoint address */
	uint64_t func_offset;     /* kprobe/uprobe +offset */
	int arg_num;              /* watchpoint func+argN: N, else -1 */
	/* USDT location, filled by bt-check's expansion (one attach point per
	 * location): file offsets of the probe site and of its semaphore
	 * (0: none) in target, the note's argument spec ("-4@%edi 8@(%rax)"),
	 * and the location's index (0-based) among the probe's locations. */
	uint64_t usdt_offset;
	uint64_t usdt_sema;
	const char *usdt_args;
	int usdt_loc;
	bool need_expansion;      /* has wildcards etc. */
	bool ignore_invalid;
	bool async;               /* asyncwatchpoint */
};

/* bpftrace's display name ("Attach points"):
 * provider[:target][:lang][:ns][:func[+off]] [:address][:freq][:len][:mode];
 * with_extra=false omits lang/len/mode. */
const char *attach_point_name(const struct attach_point *ap, bool with_extra);  /* shared: never changed */

#endif
