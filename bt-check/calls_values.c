/* calls_values.c - the functions that compute values: strings and
 * buffers, symbols and addresses, networking, time, stacks (their rows
 * are in calls.c's table; docs/bpftrace-compat.md "Function calls"). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calls_int.h"

/* ---- strings and buffers ---- */

static void find_param(struct node *n, void *arg)
{
	if (n->kind == N_PARAM)
		*(bool *)arg = true;
}

static bool contains_param(struct node *n)
{
	bool found = false;
	node_walk(n, find_param, &found);
	return found;
}

void fn_str(struct call *k)
{
	struct check *c = k->c;
	struct node *a = k->args[0];
	k->n->type = string_type(c);
	/* str($N) / str($N + k): the parameter's text at compile time */
	if (a->kind == N_PARAM || (a->kind == N_STR && (a->flags & NF_CHECK_FOLDED))) {
		const char *s = a->str;
		uint32_t len = a->len;
		if (a->kind == N_PARAM) {
			param_value(c, (int)a->num, &s);
			len = (uint32_t)strlen(s);
		}
		if (k->nargs == 2) {
			int64_t n;
			if (is_literal_int(k->args[1], &n) && n >= 0 && (uint64_t)n < len)
				len = (uint32_t)n;
		}
		fold_str(c, k->n, s, len);
		k->n->type = string_type(c);
		return;
	}
	struct type *t = a->type;
	if (t->kind != TY_INT && t->kind != TY_PTR && (c->final || t->kind != TY_NONE)) {
		err(c, k->n->loc, "str() expects an integer or a pointer type as first argument (%s provided)",
		    type_str(t));
		return;
	}
	if (a->kind == N_BINOP && (a->a->kind == N_PARAM || a->b->kind == N_PARAM))
		return; /* reported by the binop */
	if (contains_param(a)) {
		err(c, k->n->loc, "str() only accepts positional parameters directly or with a "
				  "single constant offset added");
		return;
	}
	if (k->nargs == 2) {
		check_arg(k, TY_INT, 1, false);
		int64_t n;
		if (is_literal_int(k->args[1], &n) && n < 0)
			err(c, k->n->loc, "strcannot use negative length (%lld)", (long long)n);
	}
	k->n->type = type_with_as(string_type(c), t->as ? (enum addrspace)t->as : AS_KERNEL);
}

void fn_buf(struct call *k)
{
	struct check *c = k->c;
	struct type *t = k->args[0]->type;
	uint32_t max = (uint32_t)c->meta->cfg.max_strlen;
	int64_t size = max;
	if (c->final && t->kind != TY_INT && t->kind != TY_STRING && t->kind != TY_PTR &&
	    t->kind != TY_ARRAY)
		err(c, k->n->loc, "buf() expects an integer, string, or array argument but saw %s",
		    kind_str(t));
	if (k->nargs == 1) {
		if (t->kind == TY_ARRAY)
			size = (int64_t)t->count * t->elem->size;
		else if (c->final)
			err(c, k->n->loc, "buf() expects a length argument for non-array type %s",
			    kind_str(t));
	} else {
		if (c->final)
			check_arg(k, TY_INT, 1, false);
		struct node *len = k->args[1];
		if (len->kind == N_INT) {
			if (len->num < 0) {
				err(c, k->n->loc, "buf cannot use negative length (%lld)",
				    (long long)len->num);
				size = 0;
			} else {
				size = len->num;
			}
		}
	}
	if (size > max) {
		warn_final(c, k->n->loc,
			   "buf() length is too long and will be shortened to %u bytes (see "
			   "BPFTRACE_MAX_STRLEN)", max);
		size = max;
	}
	k->n->type = type_with_as(type_buffer((uint32_t)size + 1), (enum addrspace)t->as);
}

void fn_strncmp(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_int(64, false);
	check_arg(k, TY_STRING, 0, false);
	check_arg(k, TY_STRING, 1, false);
	if (check_arg(k, TY_INT, 2, true) && lit(k, 2) < 0)
		err(c, k->n->loc, "Builtin strncmp requires a non-negative size");
}

void fn_strcontains(struct call *k)
{
	k->n->type = type_int(64, false);
	check_arg(k, TY_STRING, 0, false);
	check_arg(k, TY_STRING, 1, false);
}

void fn_strerror(struct call *k)
{
	k->n->type = type_new(TY_STRERROR, 8);
	check_arg(k, TY_INT, 0, false);
}

void fn_path(struct call *k)
{
	struct check *c = k->c;
	k->n->type = string_type(c);
	for (size_t i = 0; i < ORIG_NAP(c->cur); i++) {
		enum probe_type t = ORIG_AP(c->cur, i)->provider;
		if (t != PT_KFUNC && t != PT_KRETFUNC && t != PT_ITER) {
			err(c, k->n->loc,
			    "The path function can only be used with 'kfunc', 'kretfunc', 'iter' probes");
			return;
		}
	}
	struct type *t = k->args[0]->type;
	if (c->final && t->kind != TY_PTR && t->kind != TY_RECORD)
		err(c, k->n->loc, "path() only supports pointer or record argument (%s provided)",
		    type_str(t));
}

/* ---- symbols and addresses ---- */

void fn_sym(struct call *k)
{
	struct check *c = k->c;
	bool user = k->n->id == F_USYM;
	k->n->type = user ? type_new(TY_USYM, 24) : type_new(TY_KSYM, 8);
	struct type *t = k->args[0]->type;
	if (c->final && t->kind != TY_INT && t->kind != TY_PTR)
		err(c, k->n->loc, "%s() expects an integer or pointer argument", k->n->str);
}

void fn_kptr(struct call *k)
{
	struct check *c = k->c;
	struct type *t = k->args[0]->type;
	k->n->type = t;
	if (t->kind != TY_INT && t->kind != TY_PTR) {
		if (c->final)
			err(c, k->n->loc, "%s() only supports integer or pointer arguments (%s provided)",
			    k->n->str, type_str(t));
		return;
	}
	k->n->type = type_with_as(t, k->n->id == F_KPTR ? AS_KERNEL : AS_USER);
}

void fn_kaddr(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_int(64, false);
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	uint64_t addr;
	const char *name = k->args[0]->str;
	struct sys *s = check_sys(c);
	if (!s || !sys_kernel_symbol(s, name, &addr)) {
		diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
			 "Failed to compile: Failed to resolve kernel symbol: %s", name);
		return;
	}
	fold_int(c, k->n, (int64_t)addr, type_int(64, false));
}

static bool valid_symbol_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("./_-", *s))
			return false;
	return true;
}

void fn_uaddr(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_ptr(type_int(64, true), AS_USER);
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	const char *name = k->args[0]->str;
	if (!valid_symbol_name(name)) {
		err(c, k->n->loc,
		    "uaddr() expects a string that is a valid symbol (^[a-zA-Z0-9./_-]+$) as "
		    "input (\"%s\" provided)", name);
		return;
	}
	struct sys *s = check_sys(c);
	uint64_t addr0 = 0, size0 = 0;
	const char *probe0 = NULL;
	for (size_t i = 0; i < c->cur->aps.n; i++) {
		struct attach_point *ap = c->cur->aps.v[i];
		uint64_t addr, size;
		const char *target = ap->target ? ap->target : "";
		if (!s || !sys_user_symbol(s, target, name, &addr, &size)) {
			err(c, k->n->loc, "Could not resolve symbol: %s:%s", target, name);
			return;
		}
		const char *pname = attach_point_name(ap, false);
		if (!probe0) {
			addr0 = addr;
			size0 = size;
			probe0 = pname;
		} else if (size != size0) {
			err(c, k->n->loc,
			    "Symbol size mismatch between probes. Symbol \"%s\" has size %llu for "
			    "probe \"%s\" but size %llu for probe \"%s\"", name,
			    (unsigned long long)size0, probe0, (unsigned long long)size, pname);
			return;
		}
	}
	int bits = size0 == 1 ? 8 : size0 == 2 ? 16 : size0 == 4 ? 32 : 64;
	fold_int(c, k->n, (int64_t)addr0, type_ptr(type_int(bits, true), AS_USER));
}

void fn_cgroupid(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_int(64, false);
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	const char *path = k->args[0]->str;
	uint64_t id;
	struct sys *s = check_sys(c);
	int e = s ? sys_cgroup_id(s, path, &id) : ENOENT;
	if (e) {
		diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
			 "Failed to compile: Failed to get `cgroupid` for path: \"%s\": %s",
			 path, strerror(e));
		return;
	}
	fold_int(c, k->n, (int64_t)id, type_int(64, false));
}

static const char *const x86_regs[] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax",
	"cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
};

void fn_reg(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_int(64, false);
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	const char *r = k->args[0]->str;
	for (size_t i = 0; i < sizeof x86_regs / sizeof x86_regs[0]; i++)
		if (strcmp(x86_regs[i], r) == 0) {
			k->n->num = (int64_t)i; /* pt_regs slot (ir.md) */
			return;
		}
	err(c, k->n->loc, "'%s' is not a valid register on this architecture (x86_64)", r);
}

/* ---- networking ---- */

void fn_ntop(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_new(TY_INET, 24);
	struct node *a = k->args[0];
	if (k->nargs == 2) {
		a = k->args[1];
		check_arg(k, TY_INT, 0, false);
	}
	struct type *t = a->type;
	if (t->kind != TY_INT && t->kind != TY_STRING && t->kind != TY_ARRAY) {
		if (c->final)
			err(c, k->n->loc, "ntop() expects an integer or array argument, got %s",
			    kind_str(t));
		return;
	}
	if ((t->kind == TY_ARRAY || t->kind == TY_STRING) && t->size != 4 && t->size != 16)
		err(c, k->n->loc, "ntop() argument must be 4 or 16 bytes in size");
}

void fn_pton(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_array(type_int(8, false), 4);
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	const char *s = k->args[0]->str;
	unsigned char buf[16];
	int af, len;
	/* bpftrace picks the family by a '.' first, so an IPv4-mapped IPv6
	 * address ("::ffff:1.2.3.4") is parsed as IPv4 and refused */
	if (strchr(s, '.')) {
		af = AF_INET;
		len = 4;
	} else if (strchr(s, ':')) {
		af = AF_INET6;
		len = 16;
	} else {
		err(c, k->n->loc,
		    "pton() expects an string argument of an IPv4/IPv6 address, got %s", s);
		return;
	}
	if (inet_pton(af, s, buf) != 1) {
		err(c, k->n->loc, "pton() expects a valid IPv4/IPv6 address, got %s", s);
		return;
	}
	/* ir.md: a folded pton() is a string node holding the raw bytes,
	 * typed uint8[4] / uint8[16] */
	fold_str(c, k->n, (const char *)buf, (uint32_t)len);
	k->n->type = type_array(type_int(8, false), (uint32_t)len);
}

void fn_macaddr(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_new(TY_MACADDR, 6);
	struct node *a = k->args[0];
	struct type *t = a->type;
	if (t->kind != TY_INT && t->kind != TY_ARRAY && !type_is_byte_array(t) &&
	    t->kind != TY_PTR) {
		if (c->final)
			err(c, k->n->loc, "macaddr() only supports array or pointer arguments (%s provided)",
			    type_str(t));
		return;
	}
	/* byte arrays too, as bpftrace v0.20: a char[N] member is a string of
	 * N bytes, and buf(x, 6) is 7 (its length byte) and refused */
	if ((t->kind == TY_ARRAY || type_is_byte_array(t)) && t->size != 6)
		err(c, k->n->loc, "macaddr() argument must be 6 bytes in size");
	if (t->kind == TY_STRING && a->kind == N_STR)
		err(c, k->n->loc, "macaddr() does not support literal string arguments");
}

void fn_bswap(struct call *k)
{
	struct check *c = k->c;
	struct type *t = k->args[0]->type;
	if (t->kind != TY_INT) {
		if (c->final)
			err(c, k->n->loc, "bswap() only supports integer arguments (%s provided)",
			    type_str(t));
		k->n->type = type_none();
		return;
	}
	k->n->type = type_int(t->bits == 1 ? 8 : t->bits, false);
}

void fn_cgroup_path(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_new(TY_CGROUP_PATH, 16);
	check_arg(k, TY_INT, 0, false);
	const char *filter = opt_literal(k, 1, "*");
	if (filter)
		META_TABLE_ADD(k, c->meta->cgroup_filters, filter);
}

/* ---- time ---- */

void fn_strftime(struct call *k)
{
	struct check *c = k->c;
	struct type *t = type_new(TY_TIMESTAMP, 16);
	k->n->type = t;
	if (!check_arg(k, TY_STRING, 0, true))
		return;
	check_arg(k, TY_INT, 1, false);
	struct node *ns = k->args[1];
	if (ns->kind == N_CALL && ns->id == F_NSECS && ns->args.n == 1 &&
	    ns->args.v[0]->type->kind == TY_TS_MODE) {
		t->ts_mode = ns->args.v[0]->type->ts_mode;
		if (t->ts_mode == TS_MONOTONIC)
			err(c, k->n->loc, "strftime() can not take a monotonic timestamp");
	}
	META_TABLE_ADD(k, c->meta->strftime_fmts, k->args[0]->str);
}

void fn_nsecs(struct call *k)
{
	struct check *c = k->c;
	k->n->type = type_int(64, false);
	if (k->nargs == 0)
		return;
	struct node *a = k->args[0];
	if (a->kind == N_IDENT) {
		static const char *modes[] = { [TS_BOOT] = "boot", [TS_MONOTONIC] = "monotonic",
					       [TS_TAI] = "tai", [TS_SW_TAI] = "sw_tai" };
		a->type = type_new(TY_TS_MODE, 0);
		for (int m = 0; m < 4; m++)
			if (strcmp(a->str, modes[m]) == 0) {
				a->type->ts_mode = (uint8_t)m;
				return;
			}
		err(c, a->loc, "Invalid timestamp mode: %s", a->str);
		return;
	}
	check_arg(k, TY_TS_MODE, 0, false);
}

/* ---- stacks ---- */

void fn_stack(struct call *k)
{
	struct check *c = k->c;
	bool user = k->n->id == F_USTACK;
	enum stack_mode mode = (enum stack_mode)c->meta->cfg.stack_mode;
	int64_t limit = 127;
	k->n->type = type_stack(user, mode, 127);
	for (size_t i = 0; i < k->nargs; i++) {
		struct node *a = k->args[i];
		bool want_mode = k->nargs == 2 ? i == 0 : a->type->kind == TY_STACK_MODE;
		if (want_mode) {
			if (check_arg(k, TY_STACK_MODE, i, true))
				mode = strcmp(a->str, "perf") == 0 ? STACK_PERF :
				       strcmp(a->str, "raw") == 0 ? STACK_RAW : STACK_BPFTRACE;
		} else if (check_arg(k, TY_INT, i, true)) {
			limit = a->num;
		}
	}
	if (limit > 1024) {
		err(c, k->n->loc, "%s([int limit]): limit shouldn't exceed 1024, %lld given",
		    k->n->str, (long long)limit);
		return;
	}
	if (limit < 0)
		limit = 0;
	k->n->type = type_stack(user, mode, (uint16_t)limit);
}
