/* calls.c - checking and typing of function calls (docs/bpftrace-compat.md
 * "Function calls", "Checker errors and warnings", "Builtins").  One table row
 * per function: argument counts, where the result may go, probe types,
 * safety; then a handler for the function's own rules.  Compile-time functions
 * (kaddr, cgroupid, pton, str($N)...) are folded into literals here.  The
 * handlers of the value-computing functions are in calls_values.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calls_int.h"

#define PTM(t) (1u << (t))

enum assign_rule {
	A_ANY,      /* no rule */
	A_MAP,      /* should be directly assigned to a map */
	A_NONE,     /* should not be used in an assignment or as a map key */
	A_VAR,      /* should be assigned to a variable */
};

struct func_row {
	enum func id;          /* argument counts: func_min_args/func_max_args */
	enum assign_rule assign;
	bool unsafe;
	unsigned allowed;      /* probe types (0: all), generic message */
	call_fn fn;
};

/* ---- shared checks (bpftrace's check_nargs/check_varargs/check_arg) ---- */

static bool check_nargs(struct call *k, size_t want)
{
	if (k->nargs == want)
		return true;
	const char *f = k->n->str;
	if (want == 0)
		err(k->c, k->n->loc, "%s() requires no arguments (%zu provided)", f, k->nargs);
	else if (want == 1)
		err(k->c, k->n->loc, "%s() requires one argument (%zu provided)", f, k->nargs);
	else
		err(k->c, k->n->loc, "%s() requires %zu arguments (%zu provided)", f, want, k->nargs);
	return false;
}

static bool check_varargs(struct call *k, size_t min, size_t max)
{
	const char *f = k->n->str;
	if (k->nargs < min) {
		if (min == 1)
			err(k->c, k->n->loc, "%s() requires at least one argument (%zu provided)",
			    f, k->nargs);
		else
			err(k->c, k->n->loc, "%s() requires at least %zu arguments (%zu provided)",
			    f, min, k->nargs);
		return false;
	}
	if (k->nargs > max) {
		if (max == 0)
			err(k->c, k->n->loc, "%s() requires no arguments (%zu provided)", f, k->nargs);
		else if (max == 1)
			err(k->c, k->n->loc, "%s() takes up to one argument (%zu provided)", f, k->nargs);
		else
			err(k->c, k->n->loc, "%s() takes up to %zu arguments (%zu provided)",
			    f, max, k->nargs);
		return false;
	}
	return true;
}

static bool is_literal(const struct node *n)
{
	return n->kind == N_INT || n->kind == N_STR || n->kind == N_STACK_MODE;
}

static bool was_param(struct check *c, const struct node *n, int64_t *idx)
{
	if (n->kind == N_PARAM) {
		*idx = n->num;
		return true;
	}
	for (size_t i = 0; i < c->folded.n; i++)
		if (c->folded.v[i] == n && c->folded_orig.v[i]->kind == N_PARAM) {
			*idx = c->folded_orig.v[i]->num;
			return true;
		}
	return false;
}

/* Kind names as bpftrace prints a Type (not a SizedType). */
static const char *want_str(enum type_kind k)
{
	return k == TY_INT ? "integer" : type_kind_name(k);
}

bool check_arg(struct call *k, enum type_kind want, size_t i, bool literal)
{
	struct node *a = k->args[i];
	struct type *t = a->type;
	if (literal && (!is_literal(a) || t->kind != want)) {
		err(k->c, k->n->loc, "%s() expects a %s literal (%s provided)", k->n->str,
		    want_str(want), kind_str(t));
		int64_t idx;
		if (want == TY_STRING && was_param(k->c, a, &idx))
			diag_add(k->c->d, DIAG_ERROR, (struct loc){ 0 },
				 "Use str($%lld) to treat $%lld as a string", (long long)idx,
				 (long long)idx);
		return false;
	}
	if (k->c->final && t->kind != want) {
		err(k->c, k->n->loc, "%s() only supports %s arguments (%s provided)", k->n->str,
		    want_str(want), kind_str(t));
		return false;
	}
	return t->kind == want;
}

/* A string literal argument i, or dflt when the call has no argument i;
 * NULL (error reported) when it is not a string literal. */
const char *opt_literal(struct call *k, size_t i, const char *dflt)
{
	if (k->nargs <= i)
		return dflt;
	return check_arg(k, TY_STRING, i, true) ? k->args[i]->str : NULL;
}

static bool check_assignment(struct call *k, enum assign_rule rule)
{
	struct check *c = k->c;
	const char *f = k->n->str;
	switch (rule) {
	case A_MAP:
		if (k->ctx != CALL_MAP_RHS) {
			err(c, k->n->loc, "%s() should be directly assigned to a map", f);
			return false;
		}
		break;
	case A_VAR:
		if (k->ctx != CALL_VAR_RHS) {
			err(c, k->n->loc, "%s() should be assigned to a variable", f);
			return false;
		}
		break;
	case A_NONE:
		if (k->ctx == CALL_MAP_RHS || k->ctx == CALL_VAR_RHS || k->ctx == CALL_MAP_KEY) {
			err(c, k->n->loc, "%s() should not be used in an assignment or as a map key", f);
			return false;
		}
		break;
	case A_ANY:
		break;
	}
	return true;
}

int64_t lit(struct call *k, size_t i)
{
	return k->args[i]->num;
}

/* ---- aggregations ---- */

static void fn_count(struct call *k)
{
	k->n->type = type_shared(&(struct type){ .kind = TY_COUNT, .size = 8, .is_signed = true });
}

static void fn_sum_min_max(struct call *k)
{
	static const enum type_kind kinds[] = { [F_SUM] = TY_SUM, [F_MIN] = TY_MIN, [F_MAX] = TY_MAX,
						[F_AVG] = TY_AVG, [F_STATS] = TY_STATS };
	enum func f = (enum func)k->n->id;
	check_arg(k, TY_INT, 0, false);
	k->n->type = type_shared(&(struct type){
		.kind = kinds[f], .size = 8,
		.is_signed = (f == F_AVG || f == F_STATS) ? true : k->args[0]->type->is_signed,
	});
}

static struct mapinfo *assigned_map(struct call *k)
{
	return k->map ? map_get(k->c, k->map->str) : NULL;
}

static void fn_hist(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_new(TY_HIST, 8);
	check_arg(k, TY_INT, 0, false);
	int64_t bits = 0;
	if (k->nargs == 2) {
		if (!check_arg(k, TY_INT, 1, true))
			return;
		bits = lit(k, 1);
		if (bits < 0 || bits > 5) {
			err(c, k->n->loc, "hist: bits %lld must be 0..5", (long long)bits);
			return;
		}
	} else if (c->final) {
		struct node *zero = node_int(0, k->n->loc);
		zero->type = type_int(64, true);
		VEC_PUSH(&k->n->args, zero);
	}
	struct mapinfo *m = assigned_map(k);
	if (m && c->final) {
		if (m->hist_bits >= 0 && m->hist_bits != bits)
			err(c, k->n->loc, "Different bits in a single hist, had %d now %lld",
			    m->hist_bits, (long long)bits);
		else
			m->hist_bits = (int)bits;
	}
}

static void fn_lhist(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_new(TY_LHIST, 8);
	check_arg(k, TY_INT, 0, false);
	bool ok = check_arg(k, TY_INT, 1, true);
	ok = check_arg(k, TY_INT, 2, true) && ok;
	ok = check_arg(k, TY_INT, 3, true) && ok;
	if (!ok || !c->final)
		return;
	int64_t min = lit(k, 1), max = lit(k, 2), step = lit(k, 3);
	if (step <= 0) {
		err(c, k->n->loc, "lhist() step must be >= 1 (%lld provided)", (long long)step);
	} else {
		int64_t buckets = (max - min) / step;
		if (buckets > 1000)
			err(c, k->n->loc, "lhist() too many buckets, must be <= 1000 (would need %lld)",
			    (long long)buckets);
	}
	if (min < 0)
		err(c, k->n->loc, "lhist() min must be non-negative (provided min %lld)",
		    (long long)min);
	if (min > max)
		err(c, k->n->loc,
		    "lhist() min must be less than max (provided min %lld and max %lld)",
		    (long long)min, (long long)max);
	if (max - min < step)
		err(c, k->n->loc,
		    "lhist() step is too large for the given range (provided step %lld for range %lld)",
		    (long long)step, (long long)(max - min));
	struct mapinfo *m = assigned_map(k);
	if (m) {
		if (m->lhist_set && (m->lh_min != min || m->lh_max != max || m->lh_step != step)) {
			err(c, k->n->loc, "Different lhist bounds in a single map unsupported");
		} else {
			m->lhist_set = true;
			m->lh_min = min;
			m->lh_max = max;
			m->lh_step = step;
		}
	}
}

/* ---- map-taking functions ---- */

static struct node *map_arg(struct call *k, bool keyless)
{
	struct node *a = k->args[0];
	if (a->kind != N_MAP) {
		err(k->c, k->n->loc, "%s() expects a map to be provided", k->n->str);
		return NULL;
	}
	if (keyless && a->args.n) {
		err(k->c, k->n->loc, "The map passed to %s() should not be indexed by a key",
		    k->n->str);
		return NULL;
	}
	return a;
}

static void fn_delete(struct call *k)
{
	map_arg(k, false);
	k->n->type = type_none();
}

static void fn_clear_zero(struct call *k)
{
	map_arg(k, true);
	k->n->type = type_none();
}

static void fn_len(struct call *k)
{
	map_arg(k, true);
	k->n->type = type_int(64, true);
}

/* A value print() can serialise: not a pointer into (or a record of) the
 * BPF context, except a kfunc/uprobe args record, which is copied. */
static bool printable(const struct type *t)
{
	return t->kind != TY_NONE && t->kind != TY_STACK_MODE && t->kind != TY_TS_MODE &&
	       !type_is_aggregation(t) && (!t->ctx || t->is_funcarg);
}

static void fn_print(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_none();
	if (c->loop_depth)
		warn_final(c, k->n->loc,
			   "Due to it's asynchronous nature using 'print()' in a loop can lead to "
			   "unexpected behavior. The map will likely be updated before the runtime "
			   "can 'print' it.");
	struct node *a = k->args[0];
	if (a->kind == N_MAP) {
		if (a->args.n) {
			err(c, k->n->loc, "The map passed to %s() should not be indexed by a key",
			    k->n->str);
			return;
		}
		if (c->final) {
			if (k->nargs > 1)
				check_arg(k, TY_INT, 1, true);
			if (k->nargs > 2)
				check_arg(k, TY_INT, 2, true);
			if (a->type->kind == TY_STATS && k->nargs > 1)
				warn_final(c, k->n->loc,
					   "print()'s top and div arguments are ignored when used on "
					   "stats() maps.");
		}
		return;
	}
	if (printable(a->type)) {
		if (k->nargs != 1) {
			err(c, k->n->loc, "Non-map print() only takes 1 argument, %zu found", k->nargs);
			return;
		}
		META_TABLE_ADD(k, c->meta->print_types, a->type);
	} else if (c->final) {
		err(c, k->n->loc, "%s type passed to %s() is not printable", type_str(a->type),
		    k->n->str);
	}
}

/* ---- output ---- */

/* cat()'s file name is chosen at run time when it has arguments, which
 * needs --unsafe (bt-load refuses it otherwise), unless every argument is a
 * string literal under a plain %s: then the name is folded here into one
 * literal (cat("/%s/%s", "proc", "uptime") is cat("/proc/uptime")). */
static bool cat_path_fixed(struct call *k)
{
	struct node *call = k->n;
	if (call->args.n < 2 || call->args.v[0]->kind != N_STR)
		return call->args.n < 2;
	for (size_t i = 1; i < call->args.n; i++)
		if (call->args.v[i]->kind != N_STR)
			return false;
	struct astr out = { 0 };
	size_t ai = 1;
	for (const char *p = call->args.v[0]->str; *p; p++) {
		if (*p != '%') {
			astr_addc(&out, *p);
		} else if (p[1] == '%') {
			astr_addc(&out, '%');
			p++;
		} else if (p[1] == 's' && ai < call->args.n) {
			astr_adds(&out, call->args.v[ai++]->str);
			p++;
		} else {
			return false;
		}
	}
	if (ai != call->args.n)
		return false;
	call->args.v[0]->str = astr_str(&out);
	call->args.v[0]->len = (uint32_t)out.len;
	call->args.n = 1;
	return true;
}

static void fn_format(struct call *k)
{
	struct check *c = k->c;
	enum func f = (enum func)k->n->id;
	k->n->type = type_none();
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	if (f == F_DEBUGF)
		warn_final(c, k->n->loc,
			   "The debugf() builtin is not recommended for production use. For more "
			   "information see bpf_trace_printk in bpf-helpers(7).");
	bool run_time_path = f == F_CAT && !cat_path_fixed(k);
	struct meta_fmt mf = { 0 };
	if (!check_format(c, k->n, k->n->str, 1, &mf))
		return;
	if (run_time_path && !c->o->unsafe && c->final) {
		err(c, k->n->loc, "cat() with a path chosen at run time is an unsafe function "
				  "being used in safe mode");
		return;
	}
	switch (f) {
	case F_PRINTF: case F_DEBUGF:
		META_TABLE_ADD(k, c->meta->printfs, mf);
		break;
	case F_SYSTEM:
		META_TABLE_ADD(k, c->meta->systems, mf);
		break;
	case F_CAT:
		META_TABLE_ADD(k, c->meta->cats, mf);
		break;
	default:
		break;
	}
}

static void fn_none(struct call *k)
{
	k->n->type = type_none();
}

static void fn_exit(struct call *k)
{
	k->n->type = type_none();
}

static void fn_time(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_none();
	const char *fmt = opt_literal(k, 0, "%H:%M:%S\n");
	if (fmt)
		META_TABLE_ADD(k, c->meta->time_fmts, fmt);
}

static void fn_join(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_none();
	struct type *t = k->args[0]->type;
	if (c->final && t->kind != TY_INT && t->kind != TY_PTR) {
		err(c, k->n->loc, "() only supports int or pointer arguments (%s provided)",
		    kind_str(t));
		return;
	}
	const char *delim = opt_literal(k, 1, " ");
	if (delim)
		META_TABLE_ADD(k, c->meta->join_delims, delim);
}

/* ---- unsafe / probe-specific actions ---- */

static const char *const signal_names[] = {
	"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
	"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	"SIGIO", "SIGPWR", "SIGSYS",
};

static void fn_signal(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_none();
	struct node *a = k->args[0];
	if (a->kind == N_STR) {
		const char *s = a->str;
		const char *full = strncmp(s, "SIG", 3) == 0 ? s : arena_printf("SIG%s", s);
		for (int i = 1; i < (int)(sizeof signal_names / sizeof signal_names[0]); i++)
			if (strcmp(signal_names[i], full) == 0) {
				fold_int(c, a, i, type_int(64, true));
				return;
			}
		err(c, k->n->loc, "%s is not a valid signal", s);
		return;
	}
	if (a->kind == N_INT) {
		if (a->num < 1 || a->num > 64)
			err(c, k->n->loc, "%lld is not a valid signal, allowed range: [1,64]",
			    (long long)a->num);
		return;
	}
	if (a->type->kind != TY_INT && (c->final || a->type->kind != TY_NONE))
		err(c, k->n->loc, "signal only accepts string literals or integers");
}

static void fn_override(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_none();
	for (size_t i = 0; i < ORIG_NAP(c->cur); i++)
		if (ORIG_AP(c->cur, i)->provider != PT_KPROBE) {
			err(c, k->n->loc, "override can only be used with kprobes.");
			return;
		}
	check_arg(k, TY_INT, 0, false);
}

static void fn_unwatch(struct call *k)
{
	k->n->type = type_none();
	check_arg(k, TY_INT, 0, false);
}

static void fn_skboutput(struct call *k)
{
	k->n->type = type_int(32, false);
	check_arg(k, TY_STRING, 0, true);
	check_arg(k, TY_INT, 2, false);
	check_arg(k, TY_INT, 3, false);
}

#define SIGNAL_PROBES (PTM(PT_KPROBE) | PTM(PT_KRETPROBE) | PTM(PT_UPROBE) | \
		       PTM(PT_URETPROBE) | PTM(PT_USDT) | PTM(PT_TRACEPOINT) |   \
		       PTM(PT_PROFILE) | PTM(PT_KFUNC) | PTM(PT_KRETFUNC) |      \
		       PTM(PT_RAWTRACEPOINT))
#define REG_PROBES (PTM(PT_KPROBE) | PTM(PT_KRETPROBE) | PTM(PT_UPROBE) |    \
		    PTM(PT_URETPROBE) | PTM(PT_USDT) | PTM(PT_PROFILE) |         \
		    PTM(PT_INTERVAL) | PTM(PT_SOFTWARE) | PTM(PT_HARDWARE) |     \
		    PTM(PT_WATCHPOINT) | PTM(PT_ASYNCWATCHPOINT))
#define UADDR_PROBES (PTM(PT_UPROBE) | PTM(PT_URETPROBE) | PTM(PT_USDT))

static const struct func_row funcs[] = {
	{ F_COUNT, A_MAP, false, 0, fn_count },
	{ F_SUM, A_MAP, false, 0, fn_sum_min_max },
	{ F_MIN, A_MAP, false, 0, fn_sum_min_max },
	{ F_MAX, A_MAP, false, 0, fn_sum_min_max },
	{ F_AVG, A_MAP, false, 0, fn_sum_min_max },
	{ F_STATS, A_MAP, false, 0, fn_sum_min_max },
	{ F_HIST, A_MAP, false, 0, fn_hist },
	{ F_LHIST, A_MAP, false, 0, fn_lhist },
	{ F_DELETE, A_NONE, false, 0, fn_delete },
	{ F_CLEAR, A_NONE, false, 0, fn_clear_zero },
	{ F_ZERO, A_NONE, false, 0, fn_clear_zero },
	{ F_LEN, A_ANY, false, 0, fn_len },
	{ F_PRINT, A_NONE, false, 0, fn_print },
	{ F_PRINTF, A_NONE, false, 0, fn_format },
	{ F_SYSTEM, A_NONE, true, 0, fn_format },
	{ F_CAT, A_NONE, false, 0, fn_format },
	{ F_DEBUGF, A_NONE, false, 0, fn_format },
	{ F_EXIT, A_NONE, false, 0, fn_exit },
	{ F_TIME, A_NONE, false, 0, fn_time },
	{ F_JOIN, A_NONE, false, 0, fn_join },
	{ F_STR, A_ANY, false, 0, fn_str },
	{ F_BUF, A_ANY, false, 0, fn_buf },
	{ F_KSYM, A_ANY, false, 0, fn_sym },
	{ F_USYM, A_ANY, false, 0, fn_sym },
	{ F_KPTR, A_ANY, false, 0, fn_kptr },
	{ F_UPTR, A_ANY, false, 0, fn_kptr },
	{ F_KADDR, A_ANY, false, 0, fn_kaddr },
	{ F_UADDR, A_ANY, false, UADDR_PROBES, fn_uaddr },
	{ F_CGROUPID, A_ANY, false, 0, fn_cgroupid },
	{ F_REG, A_ANY, false, REG_PROBES, fn_reg },
	{ F_NTOP, A_ANY, false, 0, fn_ntop },
	{ F_PTON, A_ANY, false, 0, fn_pton },
	{ F_MACADDR, A_ANY, false, 0, fn_macaddr },
	{ F_BSWAP, A_ANY, false, 0, fn_bswap },
	{ F_CGROUP_PATH, A_ANY, false, 0, fn_cgroup_path },
	{ F_STRFTIME, A_ANY, false, 0, fn_strftime },
	{ F_STRNCMP, A_ANY, false, 0, fn_strncmp },
	{ F_STRCONTAINS, A_ANY, false, 0, fn_strcontains },
	{ F_STRERROR, A_ANY, false, 0, fn_strerror },
	{ F_PATH, A_ANY, false, 0, fn_path },
	{ F_NSECS, A_ANY, false, 0, fn_nsecs },
	{ F_KSTACK, A_ANY, false, 0, fn_stack },
	{ F_USTACK, A_ANY, false, 0, fn_stack },
	{ F_SIGNAL, A_NONE, true, SIGNAL_PROBES, fn_signal },
	{ F_OVERRIDE, A_NONE, true, 0, fn_override },
	{ F_UNWATCH, A_NONE, false, 0, fn_unwatch },
	{ F_SKBOUTPUT, A_VAR, false, 0, fn_skboutput },
	{ F_NONE, A_ANY, false, 0, fn_none },
};

static const struct func_row *func_row(enum func f)
{
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
		if (funcs[i].id == f)
			return &funcs[i];
	return NULL;
}

/* Visit one argument in the context the function gives it. */
static void visit_arg(struct check *c, enum func f, struct node *a, size_t i)
{
	bool map_fn = f == F_PRINT || f == F_CLEAR || f == F_ZERO || f == F_LEN ||
		      f == F_DELETE;
	if (a->kind == N_IDENT && f == F_NSECS)
		return; /* timestamp mode, typed by fn_nsecs */
	bool fmt0 = i == 0 && (f == F_PRINTF || f == F_DEBUGF || f == F_SYSTEM || f == F_CAT);
	bool ctf = f == F_CGROUPID || f == F_KADDR || f == F_UADDR;
	c->in_print_arg0 = fmt0;
	c->compile_time_func = ctf;
	if (f == F_STR && i == 0)
		c->in_str++;
	if (a->kind == N_MAP && map_fn && a->args.n == 0) {
		c->skip_key_check = true;
		visit_map(c, a);
		c->skip_key_check = false;
	} else if (a->kind == N_CALL) {
		visit_call(c, a, CALL_EXPR, NULL);
	} else {
		visit_expr(c, a);
	}
	if (f == F_STR && i == 0)
		c->in_str--;
	c->in_print_arg0 = false;
	c->compile_time_func = false;
}

void visit_call(struct check *c, struct node *n, enum call_ctx ctx, struct node *map)
{
	if (n->flags & NF_CHECK_FOLDED)
		return;
	enum func f = func_lookup(n->str);
	const struct func_row *row = func_row(f);
	n->type = type_none();
	n->id = (int32_t)f;
	if (f == F_NONE || !row) {
		err(c, n->loc, "Unknown function: '%s'", n->str);
		return;
	}
	if (row->unsafe && !c->o->unsafe)
		err(c, n->loc, "%s() is an unsafe function being used in safe mode", n->str);
	for (size_t i = 0; i < n->args.n; i++)
		visit_arg(c, f, n->args.v[i], i);
	int before = c->d->errors;
	if (row->allowed)
		for (size_t i = 0; i < ORIG_NAP(c->cur); i++) {
			enum probe_type t = ORIG_AP(c->cur, i)->provider;
			if (!(row->allowed & PTM(t)))
				err(c, n->loc, "%s can not be used with \"%s\" probes", n->str,
				    probe_type_name(t));
		}
	if (c->d->errors != before && f == F_UADDR)
		return;
	struct call k = { c, n, ctx, map, n->args.n, n->args.v };
	if (!check_assignment(&k, row->assign))
		return;
	size_t min = func_min_args(row->id), max = func_max_args(row->id);
	bool ok = min == max ? check_nargs(&k, min) : check_varargs(&k, min, max);
	if (!ok)
		return;
	/* An argument whose type is not known yet (a map typed later in
	 * source order) leaves the call untyped until a later pass. */
	for (size_t i = 0; i < n->args.n; i++) {
		struct node *a = n->args.v[i];
		if (!a->type)
			a->type = type_none();
		if (!c->final && a->type->kind == TY_NONE && a->kind != N_IDENT &&
		    a->kind != N_MAP)
			return;
	}
	row->fn(&k);
	if (!n->type)
		n->type = type_none();
}
