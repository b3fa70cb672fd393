/* builtins.c - typing of builtin variables (pid, comm, args, ctx, retval,
 * ...): which probe types allow each one, with bpftrace's message
 * otherwise, and the type each gives.  Rules: docs/bpftrace-compat.md
 * "Builtins".  The rest of expression typing is in expr.c.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"


#define PTM(t) (1u << (t))
#define ALL_PROBES 0xffffffffu

static const char *arch_name = "x86_64";

/* Probe types where a builtin is allowed, and the message otherwise. */
struct builtin_rule {
	enum builtin id;
	unsigned allowed;
	const char *msg; /* %s = builtin name */
};

static const struct builtin_rule builtin_rules[] = {
	{ B_SARG0, PTM(PT_KPROBE) | PTM(PT_UPROBE),
	  "The %s builtin can only be used with 'kprobes' and 'uprobes' probes" },
	{ B_ARG0, PTM(PT_KPROBE) | PTM(PT_UPROBE) | PTM(PT_USDT) | PTM(PT_RAWTRACEPOINT),
	  "The %s builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes" },
};

static bool builtin_allowed(struct check *c, struct node *n, enum builtin group)
{
	for (size_t r = 0; r < sizeof builtin_rules / sizeof builtin_rules[0]; r++) {
		if (builtin_rules[r].id != group)
			continue;
		for (size_t i = 0; i < ORIG_NAP(c->cur); i++)
			if (!(builtin_rules[r].allowed & PTM(ORIG_AP(c->cur, i)->provider))) {
				err(c, n->loc, builtin_rules[r].msg, n->str);
				return false;
			}
	}
	return true;
}

/* The BPF program type bpftrace v0.20 assigns a probe type when it checks
 * `ctx`.  BEGIN and END count as raw tracepoints there (whatever they are
 * loaded as), so `ctx` is refused in them. */
static const char *prog_type_name(enum probe_type t)
{
	switch (t) {
	case PT_KPROBE: case PT_KRETPROBE: case PT_UPROBE: case PT_URETPROBE:
	case PT_USDT:
		return "BPF_PROG_TYPE_KPROBE";
	case PT_TRACEPOINT:
		return "BPF_PROG_TYPE_TRACEPOINT";
	case PT_PROFILE: case PT_INTERVAL: case PT_SOFTWARE: case PT_HARDWARE:
	case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT:
		return "BPF_PROG_TYPE_PERF_EVENT";
	case PT_KFUNC: case PT_KRETFUNC: case PT_ITER:
		return "BPF_PROG_TYPE_TRACING";
	case PT_RAWTRACEPOINT: case PT_BEGIN: case PT_END:
		return "BPF_PROG_TYPE_RAW_TRACEPOINT";
	default:
		return "BPF_PROG_TYPE_UNSPEC";
	}
}

static struct type *ptr_to_record(const char *name, bool ctx)
{
	struct type *r = type_record(name);
	struct type *p = type_ptr(r, AS_KERNEL);
	p->ctx = ctx;
	return p;
}

static void visit_ctx(struct check *c, struct node *n)
{
	struct prog *p = c->cur;
	const char *pt0 = prog_type_name(p->type);
	for (size_t i = 1; i < ORIG_NAP(p); i++) {
		const char *pt = prog_type_name(ORIG_AP(p, i)->provider);
		if (strcmp(pt, pt0) != 0)
			err(c, n->loc, "ctx cannot be used in different BPF program types: %s and %s",
			    pt0, pt);
	}
	n->type = type_none();
	if (strcmp(pt0, "BPF_PROG_TYPE_KPROBE") == 0) {
		n->type = ptr_to_record("struct pt_regs", true);
	} else if (strcmp(pt0, "BPF_PROG_TYPE_TRACEPOINT") == 0) {
		err(c, n->loc, "Use args instead of ctx in tracepoint");
	} else if (strcmp(pt0, "BPF_PROG_TYPE_PERF_EVENT") == 0) {
		n->type = ptr_to_record("struct bpf_perf_event_data", true);
	} else if (p->type == PT_ITER) {
		const char *f = p->aps.n ? p->aps.v[0]->target : NULL;
		n->type = ptr_to_record(arena_printf("struct bpf_iter__%s", f ? f : ""), true);
	} else {
		err(c, n->loc, "invalid program type");
	}
}

void visit_builtin(struct check *c, struct node *n)
{
	enum builtin b = builtin_lookup(n->str);
	struct prog *p = c->cur;
	n->id = (int32_t)b;
	n->type = type_none();
	switch (b) {
	case B_PID: case B_TID: case B_UID: case B_GID: case B_NSECS:
	case B_ELAPSED: case B_JIFFIES: case B_CPU: case B_NUMAID: case B_RAND:
	case B_CGROUP:
		n->type = type_int(64, false);
		break;
	case B_USERNAME:
		n->type = type_new(TY_USERNAME, 8);
		break;
	case B_COMM:
		n->type = type_shared(&(struct type){ .kind = TY_STRING, .size = 16,
						      .as = AS_KERNEL });
		break;
	case B_CURTASK:
		n->type = type_ptr(type_record("struct task_struct"), AS_KERNEL);
		break;
	case B_CPID:
		if (!c->o->child)
			err(c, n->loc, "cpid cannot be used without child command");
		n->type = type_int(32, false);
		break;
	case B_KSTACK:
	case B_USTACK:
		n->type = type_stack(b == B_USTACK, STACK_BPFTRACE, 127);
		break;
	case B_PROBE:
		n->type = type_new(TY_PROBE, 8);
		/* single attach point: the probe name id is a constant, else
		 * codegen reads it from the attach cookie (ir.md) */
		n->num = -1; /* set with the metadata (probes.c) */
		break;
	case B_FUNC:
		for (size_t i = 0; i < ORIG_NAP(p); i++) {
			enum probe_type t = ORIG_AP(p, i)->provider;
			if (t == PT_KPROBE || t == PT_KRETPROBE || t == PT_KFUNC ||
			    t == PT_KRETFUNC)
				n->type = type_new(TY_KSYM, 8);
			else if (t == PT_UPROBE || t == PT_URETPROBE)
				n->type = type_new(TY_USYM, 24);
			else
				err(c, n->loc, "The func builtin can not be used with '%s' probes",
				    probe_type_name(t));
		}
		break;
	case B_RETVAL: {
		enum probe_type t = p->type;
		if (t == PT_KRETPROBE || t == PT_URETPROBE) {
			n->type = type_int(64, false);
		} else if (t == PT_KFUNC || t == PT_KRETFUNC) {
			const struct field *f = p->args ? type_field(p->args, KFUNC_RETVAL) : NULL;
			if (f && c->final)
				note_ctx_field(c, f, false);
			if (f) {
				/* ir: num = the slot's offset in the context */
				n->type = f->type;
				n->num = f->offset;
			} else
				err(c, n->loc, "Can't find a field $retval");
		} else {
			err(c, n->loc,
			    "The retval builtin can only be used with 'kretprobe' and "
			    "'uretprobe' and 'kfunc' probes%s",
			    t == PT_TRACEPOINT ? " (try to use args.ret instead)" : "");
		}
		n->type = type_with_as(n->type, probe_as(c));
		break;
	}
	case B_ARGS:
		for (size_t i = 0; i < ORIG_NAP(p); i++) {
			enum probe_type t = ORIG_AP(p, i)->provider;
			if (t != PT_TRACEPOINT && t != PT_KFUNC && t != PT_KRETFUNC &&
			    t != PT_UPROBE) {
				/* bpftrace names the probe *type* here, and
				 * BEGIN and END are both of type "special" */
				err(c, n->loc,
				    "The args builtin can only be used with "
				    "tracepoint/kfunc/uprobeprobes (%s used here)",
				    t == PT_BEGIN || t == PT_END ? "special" : probe_type_name(t));
				return;
			}
		}
		if (!p->args) {
			if (p->type == PT_UPROBE)
				err(c, n->loc, "Cannot read function parameters");
			return;
		}
		n->type = p->args;
		break;
	case B_CTX:
		visit_ctx(c, n);
		break;
	default:
		if (b >= B_ARG0 && b <= B_ARG9) {
			int num = (int)(b - B_ARG0);
			if (builtin_allowed(c, n, B_ARG0))
				for (size_t i = 0; i < ORIG_NAP(p); i++)
					if (ORIG_AP(p, i)->provider != PT_USDT && num > 5) {
						err(c, n->loc, "%s doesn't support %s", arch_name, n->str);
						break;
					}
			n->type = type_with_as(type_int(64, false), probe_as(c));
		} else if (b >= B_SARG0 && b <= B_SARG9) {
			if (builtin_allowed(c, n, B_SARG0))
				for (size_t i = 0; i < ORIG_NAP(p); i++)
					if (ORIG_AP(p, i)->address || ORIG_AP(p, i)->func_offset) {
						warn_final(c, n->loc,
							   "Using an address offset with the sargX built-in "
							   "canlead to unexpected behavior ");
						break;
					}
			n->type = type_with_as(type_int(64, false), probe_as(c));
		} else {
			err(c, n->loc, "Unknown builtin variable: '%s'", n->str);
		}
	}
}
