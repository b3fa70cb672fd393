/* probes.c - attach points: bpftrace's semantic checks per provider
 * (docs/bpftrace-compat.md "Attach points"), expansion into concrete attach
 * points through sys_expand, and the program list: one BPF program per probe
 * block, attached to all its attach points (the program tells them apart with
 * bpf_get_attach_cookie); a block is cloned per attach point only when its
 * types differ between them (tracepoint/kfunc/uprobe args, usdt argument
 * locations), and per repetition of an attach point.  Also meta.probes and the
 * `probe` names.
 */
#include <ctype.h>
#include <string.h>

#include "check.h"

static bool wildcard(const char *s)
{
	return s && (strchr(s, '*') || strchr(s, '['));
}

static bool valid_unit(const char *u)
{
	return strcmp(u, "s") == 0 || strcmp(u, "ms") == 0 || strcmp(u, "us") == 0 ||
	       strcmp(u, "hz") == 0;
}

static const char *empty(const char *s)
{
	return s ? s : "";
}

/* Checks of one attach point that need no system knowledge. */
static void check_ap(struct check *c, struct node *apn, struct attach_point *ap)
{
	struct loc l = apn->loc;
	const char *pname = probe_type_name(ap->provider);
	const char *target = empty(ap->target), *func = empty(ap->func);
	switch (ap->provider) {
	case PT_KPROBE: case PT_KRETPROBE:
		if (ap->target && *ap->target)
			err(c, l, "kprobes should not have a target");
		if (!*func)
			err(c, l, "kprobes should be attached to a function");
		break;
	case PT_UPROBE: case PT_URETPROBE:
		if (!*target)
			err(c, l, "%s should have a target", pname);
		if (!*func && !ap->address)
			err(c, l, "%s should be attached to a function and/or address", pname);
		if (ap->lang && *ap->lang && strcmp(ap->lang, "cpp") != 0)
			err(c, l, "unsupported language type: %s", ap->lang);
		if (ap->provider == PT_URETPROBE && ap->func_offset)
			err(c, l, "uretprobes can not be attached to a function offset");
		break;
	case PT_USDT:
		if (!*func)
			err(c, l, "usdt probe must have a target function or wildcard");
		if (!*target && c->o->pid <= 0)
			err(c, l, "usdt probe must specify at least path or pid to probe. To "
				  "target all paths/pids set the path to '*'.");
		break;
	case PT_TRACEPOINT:
		if (!*target || !*func)
			err(c, l, "tracepoint probe must have a target");
		break;
	case PT_RAWTRACEPOINT:
		if (*target)
			err(c, l, "rawtracepoint should not have a target");
		if (!*func)
			err(c, l, "rawtracepoint should be attached to a function");
		break;
	case PT_PROFILE: case PT_INTERVAL:
		if (!*target) {
			err(c, l, "%s probe must have unit of time", pname);
			break;
		}
		if (!valid_unit(target))
			err(c, l, "%s is not an accepted unit of time", target);
		if (*func)
			err(c, l, "%s probe must have an integer frequency", pname);
		else if (ap->freq == 0)
			err(c, l, "%s frequency should be a positive integer", pname);
		break;
	case PT_SOFTWARE: case PT_HARDWARE:
		if (!*target)
			err(c, l, "%s probe must have a %s event name", pname, pname);
		else if (wildcard(target))
			err(c, l, "wildcards are not allowed for hardware probe type");
		if (*func)
			err(c, l, "%s probe can only have an integer count", pname);
		break;
	case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT: {
		if (*func) {
			if (c->o->pid <= 0 && !c->o->child)
				err(c, l, "-p PID or -c CMD required for watchpoint");
			if (ap->address > 5)
				err(c, l, "x86_64 doesn't support arg%llu",
				    (unsigned long long)ap->address);
		} else if (ap->provider == PT_ASYNCWATCHPOINT) {
			err(c, l, "%s requires a function name", pname);
		} else if (!ap->address) {
			err(c, l, "watchpoint must be attached to a non-zero address");
		}
		if (ap->len != 1 && ap->len != 2 && ap->len != 4 && ap->len != 8)
			err(c, l, "watchpoint length must be one of (1,2,4,8)");
		const char *m = empty(ap->mode);
		if (!*m)
			err(c, l, "watchpoint mode must be combination of (r,w,x)");
		char sorted[8] = { 0 };
		size_t n = strlen(m) < 7 ? strlen(m) : 7;
		memcpy(sorted, m, n);
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
				char t = sorted[j];
				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		for (size_t i = 0; i < n; i++)
			if (sorted[i] != 'r' && sorted[i] != 'w' && sorted[i] != 'x')
				err(c, l, "watchpoint mode must be combination of (r,w,x)");
		for (size_t i = 1; i < n; i++)
			if (sorted[i] == sorted[i - 1])
				err(c, l, "watchpoint modes may not be duplicated");
		if (!strcmp(sorted, "r") || !strcmp(sorted, "rx") || !strcmp(sorted, "wx") ||
		    !strcmp(sorted, "rwx"))
			err(c, l, "invalid watchpoint mode: %s", sorted);
		ap->mode = arena_strdup(sorted);
		break;
	}
	case PT_KFUNC: case PT_KRETFUNC:
		if (!check_sys(c) || !sys_kfunc_supported(check_sys(c))) {
			err(c, l, "kfunc/kretfunc not available for your kernel version.");
			break;
		}
		if (!*func)
			err(c, l, "kfunc should specify a function");
		break;
	case PT_ITER: /* the iterator's name is the target (probe_types.h) */
		if (!*target)
			err(c, l, "iter should specify a iterator's name");
		break;
	case PT_BEGIN: case PT_END:
		if (*target || *func)
			err(c, l, "BEGIN/END probes should not have a target");
		if (ap->provider == PT_BEGIN) {
			if (c->has_begin)
				err(c, l, "More than one BEGIN probe defined");
			c->has_begin = true;
		} else {
			if (c->has_end)
				err(c, l, "More than one END probe defined");
			c->has_end = true;
		}
		break;
	default:
		err(c, l, "Invalid provider: '%s'", apn->str ? apn->str : pname);
	}
}

/* Does the subtree use a builtin of b..last? */
struct uses {
	enum builtin b, last;
	bool found;
};

static void find_builtin(struct node *n, void *arg)
{
	struct uses *u = arg;
	if (n->kind == N_BUILTIN) {
		enum builtin b = builtin_lookup(n->str);
		u->found |= b >= u->b && b <= u->last;
	}
}

/* Whether the probe's predicate or statements name a builtin of b..last. */
static bool uses_builtins(struct node *probe, enum builtin b, enum builtin last)
{
	struct uses u = { b, last, false };
	node_walk(probe->c, find_builtin, &u);
	for (size_t i = 0; i < probe->body.n; i++)
		node_walk(probe->body.v[i], find_builtin, &u);
	return u.found;
}

static bool uses_builtin(struct node *probe, enum builtin b)
{
	return uses_builtins(probe, b, b);
}

static bool uses_argn(struct node *probe)
{
	return uses_builtins(probe, B_ARG0, B_ARG9);
}

/* Types that differ per attach point: the block is cloned per attach point. */
static bool needs_clone(struct node *probe, enum probe_type t, size_t naps)
{
	if (naps < 2)
		return false;
	switch (t) {
	case PT_TRACEPOINT: case PT_UPROBE:
		return uses_builtin(probe, B_ARGS);
	case PT_KFUNC: case PT_KRETFUNC:
		return uses_builtin(probe, B_ARGS) || uses_builtin(probe, B_RETVAL);
	case PT_USDT:
		return uses_argn(probe);
	default:
		return false;
	}
}

/* The args record of a program with a single kind of attach point. */
static void load_args(struct check *c, struct prog *p)
{
	if (!p->aps.n)
		return;
	struct attach_point *ap = p->aps.v[0];
	bool args = uses_builtin(p->probe, B_ARGS);
	bool kret = (ap->provider == PT_KFUNC || ap->provider == PT_KRETFUNC) &&
		    uses_builtin(p->probe, B_RETVAL);
	if (!args && !kret)
		return;
	struct sys *s = check_sys(c);
	if (!s)
		return;
	switch (ap->provider) {
	case PT_TRACEPOINT:
		p->args = sys_tracepoint_args(s, empty(ap->target), empty(ap->func));
		break;
	case PT_KFUNC: case PT_KRETFUNC:
		p->args = sys_kfunc_args(s, ap->target, empty(ap->func),
					 ap->provider == PT_KRETFUNC);
		break;
	case PT_UPROBE:
		p->args = sys_uprobe_args(s, empty(ap->target), empty(ap->func));
		break;
	default:
		return;
	}
	if (p->args && !p->args->ctx) {
		p->args = type_clone(p->args);
		p->args->ctx = true;
		if (ap->provider != PT_TRACEPOINT)
			p->args->is_funcarg = true;
	}
}

static struct prog *new_prog(struct check *c, struct node *probe, struct node *orig)
{
	struct prog *p = ARENA_NEW(struct prog);
	p->probe = probe;
	p->orig = orig;
	p->type = probe->args.v[0]->ap ? probe->args.v[0]->ap->provider : PT_INVALID;
	VEC_PUSH(&c->progs, p);
	return p;
}

static struct attach_point *bare_ap(struct node *apn)
{
	if (apn->ap)
		return apn->ap;
	struct attach_point *ap = ARENA_NEW(struct attach_point);
	ap->provider = PT_INVALID;
	ap->raw = apn->str;
	ap->arg_num = -1;
	apn->ap = ap;
	return ap;
}

static struct node *ap_node(struct node *probe, struct attach_point *ap)
{
	struct node *apn = node_new(N_ATTACH_POINT, probe->args.v[0]->loc);
	apn->ap = ap;
	apn->str = ap->raw;
	return apn;
}

/* How many times each attach point of grp was named before in it (0 for
 * a first mention); *nrep = the largest count + 1.  An attach point named
 * twice (`tracepoint:a:b, tracepoint:a:b`, overlapping wildcards) must be
 * attached twice, as bpftrace's program per attach point is, but the
 * kernel attaches a program to a tracepoint only once (EEXIST): each
 * repetition gets a program of its own. */
static uint32_t *repetitions(apvec *grp, uint32_t *nrep)
{
	size_t cap = 16;
	while (cap < grp->n * 2)
		cap *= 2;
	struct slot { const char *name; uint32_t seen; } *tab = ARENA_ARRAY(struct slot, cap);
	memset(tab, 0, cap * sizeof *tab);
	uint32_t *rep = ARENA_ARRAY(uint32_t, grp->n + 1);
	*nrep = 1;
	for (size_t k = 0; k < grp->n; k++) {
		const char *name = attach_point_name(grp->v[k], true);
		uint64_t h = 1469598103934665603ULL;
		for (const char *q = name; *q; q++)
			h = (h ^ (unsigned char)*q) * 1099511628211ULL;
		size_t i = h & (cap - 1);
		while (tab[i].name && strcmp(tab[i].name, name) != 0)
			i = (i + 1) & (cap - 1);
		tab[i].name = name;
		rep[k] = tab[i].seen++;
		if (rep[k] + 1 > *nrep)
			*nrep = rep[k] + 1;
	}
	return rep;
}

/* One program per provider (a program has one type and section; BEGIN
 * and END run separately), per attach point where types differ, and per
 * repetition of an attach point (repetitions above). */
/* grp: scratch, reused from block to block */
static void split_programs(struct check *c, struct node *probe, apvec *all, apvec *grp_scratch)
{
	enum probe_type seen[PT__COUNT];
	size_t nseen = 0;
	for (size_t k = 0; k < all->n; k++) {
		enum probe_type t = all->v[k]->provider;
		bool dup = false;
		for (size_t i = 0; i < nseen; i++)
			dup |= seen[i] == t;
		if (!dup && nseen < PT__COUNT)
			seen[nseen++] = t;
	}
	for (size_t g = 0; g < nseen; g++) {
		enum probe_type t = seen[g];
		apvec *grp = grp_scratch;
		grp->n = 0;
		for (size_t k = 0; k < all->n; k++)
			if (all->v[k]->provider == t)
				VEC_PUSH(grp, all->v[k]);
		if (needs_clone(probe, t, grp->n)) {
			for (size_t k = 0; k < grp->n; k++) {
				struct node *copy = node_clone(probe);
				copy->args = (nodevec){ 0 };
				VEC_PUSH(&copy->args, ap_node(probe, grp->v[k]));
				struct prog *p = new_prog(c, copy, probe);
				VEC_PUSH(&p->aps, grp->v[k]);
			}
			continue;
		}
		uint32_t nrep = 1, *rep = NULL;
		if (probe->args.n > 1)   /* one attach point as written cannot repeat */
			rep = repetitions(grp, &nrep);
		for (uint32_t r = 0; r < nrep; r++) {
			struct node *body = probe;
			if (nseen > 1 || r > 0) {
				body = node_clone(probe);
				body->args = (nodevec){ 0 };
				for (size_t j = 0; j < probe->args.n; j++)
					if (probe->args.v[j]->ap->provider == t)
						VEC_PUSH(&body->args, probe->args.v[j]);
				if (!body->args.n)
					VEC_PUSH(&body->args, ap_node(probe, grp->v[0]));
			}
			struct prog *p = new_prog(c, body, probe);
			for (size_t k = 0; k < grp->n; k++)
				if (!rep || rep[k] == r)
					VEC_PUSH(&p->aps, grp->v[k]);
		}
	}
}

/* bpftrace generates a program per match for blocks that use `probe`,
 * tracepoint args or usdt, and refuses more than max_bpf_progs.  We need
 * fewer programs (attach cookies), but the limit is bpftrace's. */
static bool check_prog_limit(struct check *c, struct node *program)
{
	uint64_t n = 0;
	/* c->progs holds each block's programs together, in source order */
	size_t k = 0;
	for (size_t i = 0; i < program->args.n; i++) {
		struct node *probe = program->args.v[i];
		size_t aps = 0;
		bool expand = uses_builtin(probe, B_PROBE);
		for (; k < c->progs.n && c->progs.v[k]->orig == probe; k++) {
			struct prog *p = c->progs.v[k];
			if (p->index < 0)
				continue;
			aps += p->aps.n;
			for (size_t j = 0; j < p->aps.n; j++)
				expand |= p->aps.v[j]->provider == PT_USDT ||
					  (p->aps.v[j]->provider == PT_TRACEPOINT &&
					   uses_builtin(probe, B_ARGS));
		}
		n += expand ? aps : 1;
	}
	uint64_t max = c->meta->cfg.max_bpf_progs;
	if (n <= max)
		return true;
	diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
		 "Your program is trying to generate more than %llu BPF programs, which "
		 "exceeds the current limit of %llu.\nYou can increase the limit through "
		 "the BPFTRACE_MAX_BPF_PROGS environment variable.",
		 (unsigned long long)max, (unsigned long long)max);
	return false;
}

bool probes_expand(struct check *c, struct node *program)
{
	/* 1. checks without the system, in source order */
	for (size_t i = 0; i < program->args.n; i++) {
		struct node *probe = program->args.v[i];
		bool has_iter = false;
		for (size_t j = 0; j < probe->args.n; j++) {
			struct attach_point *ap = bare_ap(probe->args.v[j]);
			check_ap(c, probe->args.v[j], ap);
			has_iter |= ap->provider == PT_ITER;
		}
		if (has_iter && probe->args.n > 1)
			err(c, probe->args.v[1]->loc, "Only single iter attach point is allowed.");
	}
	if (c->d->errors)
		return false;

	c->orig_probes = program->args;

	/* 2. expansion (all, grp: scratch reused from block to block) */
	apvec all = { 0 }, grp = { 0 };
	for (size_t i = 0; i < program->args.n; i++) {
		struct node *probe = program->args.v[i];
		all.n = 0;
		unsigned flags = probe->args.n > 1 ? SYS_X_MULTI : 0;
		for (size_t j = 0; j < probe->args.n; j++) {
			struct node *apn = probe->args.v[j];
			struct attach_point *ap = apn->ap;
			if (ap->provider == PT_BEGIN || ap->provider == PT_END ||
			    ((ap->provider == PT_INTERVAL || ap->provider == PT_PROFILE) &&
			     !ap->need_expansion)) {
				VEC_PUSH(&all, ap);   /* nothing changes it from here on */
				continue;
			}
			struct sys *s = check_sys(c);
			if (!s || !sys_expand(s, ap, &all, c->d, apn->loc, flags))
				return false;
		}
		if (c->d->errors)
			return false;
		if (!all.n) {
			/* matched nothing: analysed as written, no program */
			struct prog *p = new_prog(c, probe, probe);
			for (size_t j = 0; j < probe->args.n; j++)
				VEC_PUSH(&p->aps, probe->args.v[j]->ap);
			p->index = -1;
			continue;
		}
		split_programs(c, probe, &all, &grp);
	}
	if (!check_prog_limit(c, program))
		return false;
	for (size_t i = 0; i < c->progs.n; i++)
		load_args(c, c->progs.v[i]);
	return c->d->errors == 0;
}

/* ---- metadata ---- */

/* probe_names, indexed by a hash table (wildcards give tens of
 * thousands of attach points). */
struct name_index {
	uint32_t *slots; /* id + 1, 0 = free */
	size_t cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint32_t probe_name_id(struct check *c, struct name_index *ix, const char *name)
{
	struct meta *m = c->meta;
	if ((m->probe_names.n + 1) * 2 > ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->slots = ARENA_ARRAY(uint32_t, ix->cap);
		for (size_t i = 0; i < m->probe_names.n; i++) {
			size_t h = hash_str(m->probe_names.v[i]) & (ix->cap - 1);
			while (ix->slots[h])
				h = (h + 1) & (ix->cap - 1);
			ix->slots[h] = (uint32_t)i + 1;
		}
	}
	size_t h = hash_str(name) & (ix->cap - 1);
	for (; ix->slots[h]; h = (h + 1) & (ix->cap - 1))
		if (strcmp(m->probe_names.v[ix->slots[h] - 1], name) == 0)
			return ix->slots[h] - 1;
	VEC_PUSH(&m->probe_names, name);
	ix->slots[h] = (uint32_t)m->probe_names.n;
	return (uint32_t)(m->probe_names.n - 1);
}

static const char *prog_name(const char *probe, int index)
{
	char buf[72];
	size_t n = 0;
	for (const char *p = probe; *p && n < 60; p++)
		buf[n++] = isalnum((unsigned char)*p) ? *p : '_';
	buf[n] = 0;
	return arena_printf("%s_%d", buf, index + 1);
}

struct probe_fix {
	int64_t value;
};

static void set_probe_builtin(struct node *n, void *arg)
{
	struct probe_fix *f = arg;
	if (n->kind == N_BUILTIN && n->id == B_PROBE)
		n->num = f->value;
}

/* Clear flags private to bt-check. */
static void clear_private(struct node *n, void *arg)
{
	n->flags &= ~(NF_CHECK_FOLDED | NF_CHECK_IMPLICIT);
}

void probes_build_meta(struct check *c)
{
	struct node *program = c->prog_node;
	nodevec kept = { 0 };
	struct name_index ix = { 0 };
	uint32_t index = 0;
	VEC_RESERVE(&kept, c->progs.n);
	VEC_RESERVE(&c->meta->probes, c->meta->probes.n + c->progs.n);
	for (size_t i = 0; i < c->progs.n; i++) {
		struct prog *p = c->progs.v[i];
		if (p->index < 0)
			continue;
		struct meta_probe mp = { 0 };
		mp.index = index;
		mp.type = p->type;
		mp.name = probe_name(p->probe);
		mp.prog = prog_name(mp.name, (int)index);
		mp.nattach = (uint32_t)p->aps.n;
		mp.expand = uses_builtin(p->probe, B_PROBE);
		mp.attach = ARENA_ARRAY(struct meta_attach, p->aps.n + 1);
		for (size_t k = 0; k < p->aps.n; k++) {
			struct meta_attach *a = &mp.attach[k];
			a->ap = p->aps.v[k];
			/* name() with lang/len/mode: `probe` and messages */
			a->name = attach_point_name(a->ap, true);
			a->cookie = probe_name_id(c, &ix, a->name);
		}
		/* `probe`: a constant for one attach point, else -1 = the cookie */
		struct probe_fix f = { p->aps.n == 1 ? (int64_t)mp.attach[0].cookie : -1 };
		node_walk(p->probe, set_probe_builtin, &f);
		p->probe->num = index;
		VEC_PUSH(&c->meta->probes, mp);
		VEC_PUSH(&kept, p->probe);
		index++;
	}
	program->args = kept;
	node_walk(program, clear_private, NULL);
}
