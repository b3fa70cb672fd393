/* mkir.c - test helper for tests/codegen.bats: writes hand-built `ir`
 * streams (typed trees + metadata, as bt-check would produce them) so
 * bt-codegen can be tested on its own.  Not part of bt-codegen.
 *
 *   mkir CASE [N] > prog.ir
 *
 * Cases: printf maps bigprintf manyprobes strings tuples kk
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "meta.h"
#include "mp.h"
#include "names.h"
#include "node.h"

static struct meta M;
static struct loc L = { 1, 1, 1, 2 };

/* ---- types ---- */
static struct type *u64(void) { return type_int(64, false); }
static struct type *i64(void) { return type_int(64, true); }
static struct type *str_t(uint32_t n) { return type_string(n); }
static struct type *agg(enum type_kind k) { struct type *t = type_new(k, 8); t->is_signed = true; return t; }

/* ---- nodes ---- */
static struct node *N(enum node_kind k, struct type *t)
{
	struct node *n = node_new(k, L);
	n->type = t;
	return n;
}

static struct node *lit(int64_t v)
{
	struct node *n = N(N_INT, i64());
	n->num = v;
	return n;
}

static struct node *slit(const char *s)
{
	struct node *n = N(N_STR, str_t((uint32_t)strlen(s) + 1));
	n->str = s;
	n->len = (uint32_t)strlen(s);
	return n;
}

static struct node *bi(enum builtin b, struct type *t)
{
	struct node *n = N(N_BUILTIN, t);
	n->id = b;
	n->str = builtin_name(b);
	return n;
}

static struct node *call(enum func f, struct type *t, int nargs, ...)
{
	struct node *n = N(N_CALL, t ? t : type_none());
	n->id = f;
	n->str = func_name(f);
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		VEC_PUSH(&n->args, va_arg(ap, struct node *));
	va_end(ap);
	return n;
}

static struct node *stmt(struct node *e)
{
	struct node *n = N(N_EXPR_STMT, NULL);
	n->a = e;
	return n;
}

static int map_id(const char *name)
{
	for (size_t i = 0; i < M.maps.n; i++)
		if (strcmp(M.maps.v[i].name, name) == 0)
			return (int)i;
	fprintf(stderr, "mkir: no map %s\n", name);
	exit(2);
}

static struct node *map(const char *name, int nkeys, ...)
{
	int id = map_id(name);
	struct node *n = N(N_MAP, M.maps.v[id].value);
	n->str = name;
	n->id = id;
	va_list ap;
	va_start(ap, nkeys);
	for (int i = 0; i < nkeys; i++)
		VEC_PUSH(&n->args, va_arg(ap, struct node *));
	va_end(ap);
	return n;
}

static struct node *assign_map(struct node *m, struct node *v)
{
	struct node *n = N(N_ASSIGN_MAP, NULL);
	n->a = m;
	n->b = v;
	return n;
}

static struct node *var(const char *name, int slot, struct type *t)
{
	struct node *n = N(N_VAR, t);
	n->str = name;
	n->id = slot;
	return n;
}

static struct node *assign_var(struct node *v, struct node *e)
{
	struct node *n = N(N_ASSIGN_VAR, NULL);
	n->a = v;
	n->b = e;
	return n;
}

static struct node *binop(enum op op, struct node *a, struct node *b, struct type *t)
{
	struct node *n = node_binop(op, a, b, L);
	n->type = t;
	return n;
}

static struct node *if_(struct node *c, struct node *then, struct node *els)
{
	struct node *n = N(N_IF, NULL);
	n->c = c;
	VEC_PUSH(&n->body, then);
	if (els)
		VEC_PUSH(&n->orelse, els);
	return n;
}

/* ---- metadata ---- */
static void add_map(const char *name, struct type *value, int nkeys, ...)
{
	struct meta_map mm = { .name = name, .value = value };
	mm.keys = ARENA_ARRAY(struct type *, nkeys + 1);
	va_list ap;
	va_start(ap, nkeys);
	for (int i = 0; i < nkeys; i++) {
		mm.keys[i] = va_arg(ap, struct type *);
		mm.key_size += mm.keys[i]->size;
	}
	va_end(ap);
	mm.nkeys = (uint32_t)nkeys;
	if (!mm.key_size)
		mm.key_size = 8;
	if (value->kind == TY_LHIST) {
		mm.lh_min = 0;
		mm.lh_max = 10;
		mm.lh_step = 1;
	}
	mm.id = (uint32_t)M.maps.n;
	VEC_PUSH(&M.maps, mm);
}

static struct node *probe(enum probe_type pt, const char *target, const char *func,
			  uint64_t freq, int nattach)
{
	struct meta_probe mp = { .index = (uint32_t)M.probes.n, .type = pt };
	mp.nattach = (uint32_t)nattach;
	mp.attach = ARENA_ARRAY(struct meta_attach, nattach + 1);
	for (int i = 0; i < nattach; i++) {
		struct attach_point *ap = ARENA_NEW(struct attach_point);
		ap->provider = pt;
		ap->target = target ? arena_strdup(target) : NULL;
		ap->func = func ? (nattach > 1 ? arena_printf("%s%d", func, i) : arena_strdup(func)) : NULL;
		ap->freq = freq;
		ap->arg_num = -1;
		ap->raw = attach_point_name(ap, true);
		mp.attach[i].ap = ap;
		mp.attach[i].name = ap->raw;
		mp.attach[i].cookie = M.probe_names.n;
		VEC_PUSH(&M.probe_names, mp.attach[i].name);
	}
	mp.name = mp.attach[0].name;
	mp.prog = arena_printf("prog_%zu", M.probes.n);
	VEC_PUSH(&M.probes, mp);
	struct node *n = N(N_PROBE, NULL);
	n->num = (int64_t)mp.index;
	for (int i = 0; i < nattach; i++) {
		struct node *a = N(N_ATTACH_POINT, NULL);
		a->ap = mp.attach[i].ap;
		a->str = mp.attach[i].name;
		VEC_PUSH(&n->args, a);
	}
	return n;
}

/* printf with C layout: ints widened to 8 bytes, byte arrays align 1 */
static struct node *printf_(const char *fmt, int nargs, ...)
{
	struct meta_fmt f = { .fmt = fmt, .nargs = (uint32_t)nargs };
	f.args = ARENA_ARRAY(struct meta_arg, nargs + 1);
	struct node *c = call(F_PRINTF, type_none(), 1, slit(fmt));
	uint32_t off = 8;
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++) {
		struct node *a = va_arg(ap, struct node *);
		VEC_PUSH(&c->args, a);
		struct type *t = a->type;
		if (t->kind == TY_INT)
			t = type_int(64, t->is_signed);
		uint32_t al = type_alignment(t);
		off = (off + al - 1) / al * al;
		f.args[i].type = t;
		f.args[i].offset = off;
		off += t->size;
	}
	va_end(ap);
	f.size = (off + 7) / 8 * 8;
	c->id2 = (int32_t)M.printfs.n;
	VEC_PUSH(&M.printfs, f);
	return c;
}

static struct node *program(void)
{
	return node_new(N_PROGRAM, L);
}

static void add_probe(struct node *prog, struct node *p)
{
	VEC_PUSH(&prog->args, p);
}

/* ---- cases ---- */

static struct node *case_printf(void)
{
	struct node *prog = program();
	struct node *p = probe(PT_BEGIN, NULL, NULL, 0, 1);
	VEC_PUSH(&p->body, stmt(printf_("%s %d\n", 2, bi(B_COMM, str_t(16)), bi(B_PID, u64()))));
	VEC_PUSH(&p->body, stmt(call(F_EXIT, NULL, 0)));
	add_probe(prog, p);
	return prog;
}

static struct node *case_maps(void)
{
	add_map("@a", agg(TY_AVG), 0);
	add_map("@c", agg(TY_COUNT), 1, u64());
	add_map("@h", agg(TY_HIST), 0);
	add_map("@l", agg(TY_LHIST), 0);
	add_map("@mn", agg(TY_MIN), 0);
	add_map("@mx", agg(TY_MAX), 0);
	add_map("@s", agg(TY_SUM), 1, str_t(16));
	add_map("@st", agg(TY_STATS), 0);
	add_map("@x", i64(), 0);
	add_map("@y", str_t(16), 2, u64(), str_t(16));
	struct node *prog = program();
	struct node *p = probe(PT_INTERVAL, "s", NULL, 1, 1);
	VEC_PUSH(&p->body, assign_map(map("@x", 0), lit(1)));
	VEC_PUSH(&p->body, assign_map(map("@c", 1, bi(B_PID, u64())), call(F_COUNT, agg(TY_COUNT), 0)));
	VEC_PUSH(&p->body, assign_map(map("@s", 1, bi(B_COMM, str_t(16))),
				      call(F_SUM, agg(TY_SUM), 1, lit(3))));
	VEC_PUSH(&p->body, assign_map(map("@h", 0), call(F_HIST, agg(TY_HIST), 2, bi(B_PID, u64()), lit(0))));
	VEC_PUSH(&p->body, assign_map(map("@l", 0), call(F_LHIST, agg(TY_LHIST), 4, bi(B_TID, u64()),
							 lit(0), lit(10), lit(1))));
	VEC_PUSH(&p->body, assign_map(map("@a", 0), call(F_AVG, agg(TY_AVG), 1, bi(B_CPU, u64()))));
	VEC_PUSH(&p->body, assign_map(map("@st", 0), call(F_STATS, agg(TY_STATS), 1, lit(5))));
	VEC_PUSH(&p->body, assign_map(map("@mn", 0), call(F_MIN, agg(TY_MIN), 1, bi(B_NSECS, u64()))));
	VEC_PUSH(&p->body, assign_map(map("@mx", 0), call(F_MAX, agg(TY_MAX), 1, bi(B_NSECS, u64()))));
	VEC_PUSH(&p->body, assign_map(map("@y", 2, bi(B_TID, u64()), bi(B_COMM, str_t(16))),
				      bi(B_COMM, str_t(16))));
	VEC_PUSH(&p->body, stmt(printf_("%d\n", 1, map("@x", 0))));
	add_probe(prog, p);
	return prog;
}

/* printf of ten str() of max_strlen 200: far beyond the 512-byte stack */
static struct node *case_bigprintf(void)
{
	M.cfg.max_strlen = 200;
	struct node *prog = program();
	struct node *p = probe(PT_TRACEPOINT, "syscalls", "sys_enter_openat", 0, 1);
	struct node *c = printf_("", 0);
	struct meta_fmt *f = &M.printfs.v[c->id2];
	f->nargs = 10;
	f->args = ARENA_ARRAY(struct meta_arg, 10);
	char *fmt = arena_strdup("%s %s %s %s %s %s %s %s %s %s\n");
	f->fmt = fmt;
	for (int i = 0; i < 10; i++) {
		struct type *pt = type_ptr(type_int(8, true), AS_USER);
		struct node *addr = N(N_INT, pt);
		addr->num = 0x1000 * (i + 1);
		VEC_PUSH(&c->args, call(F_STR, str_t(200), 1, addr));
		f->args[i].type = str_t(200);
		f->args[i].offset = 8 + 200 * (uint32_t)i;
	}
	f->size = 8 + 2000;
	VEC_PUSH(&p->body, stmt(c));
	add_probe(prog, p);
	return prog;
}

/* n probes with a printf and a count each */
static struct node *case_manyprobes(int n)
{
	add_map("@", agg(TY_COUNT), 1, u64());
	struct node *prog = program();
	for (int i = 0; i < n; i++) {
		struct node *p = probe(PT_INTERVAL, "ms", NULL, (uint64_t)(100 + i), 1);
		VEC_PUSH(&p->body, stmt(printf_("probe %d %s\n", 2, lit(i), bi(B_COMM, str_t(16)))));
		VEC_PUSH(&p->body, assign_map(map("@", 1, bi(B_PROBE, type_new(TY_PROBE, 8))),
					      call(F_COUNT, agg(TY_COUNT), 0)));
		add_probe(prog, p);
	}
	return prog;
}

static struct node *case_strings(void)
{
	struct node *prog = program();
	struct node *p = probe(PT_BEGIN, NULL, NULL, 0, 1);
	struct type *s64 = str_t(64);
	struct node *eq = binop(OP_EQ, bi(B_COMM, str_t(16)), slit("bash"), u64());
	struct node *s = var("$s", 0, s64);
	VEC_PUSH(&p->body, assign_var(s, call(F_STR, s64, 1, bi(B_CURTASK, type_ptr(type_record("struct task_struct"), AS_KERNEL)))));
	VEC_PUSH(&p->body, if_(eq, stmt(printf_("bash\n", 0)), stmt(printf_("%s\n", 1, var("$s", 0, s64)))));
	VEC_PUSH(&p->body, stmt(printf_("%d %d %d\n", 3,
		call(F_STRNCMP, u64(), 3, var("$s", 0, s64), slit("sys"), lit(3)),
		call(F_STRCONTAINS, u64(), 2, var("$s", 0, s64), slit("ys")),
		call(F_STRCONTAINS, u64(), 2, bi(B_COMM, str_t(16)), var("$s", 0, s64)))));
	add_probe(prog, p);
	return prog;
}

static struct node *case_tuples(void)
{
	struct type *el[3] = { i64(), str_t(16), type_int(8, false) };
	struct type *tt = type_tuple(el, 3);
	add_map("@t", tt, 1, str_t(16));
	struct node *prog = program();
	struct node *p = probe(PT_TRACEPOINT, "sched", "sched_switch", 0, 1);
	struct node *tup = N(N_TUPLE, tt);
	VEC_PUSH(&tup->args, lit(1));
	VEC_PUSH(&tup->args, bi(B_COMM, str_t(16)));
	struct node *c8 = N(N_CAST, type_int(8, false));
	c8->a = bi(B_CPU, u64());
	c8->ty_arg = c8->type;
	VEC_PUSH(&tup->args, c8);
	VEC_PUSH(&p->body, assign_map(map("@t", 1, bi(B_COMM, str_t(16))), tup));
	struct node *f = N(N_FIELD, str_t(16));
	f->a = map("@t", 1, bi(B_COMM, str_t(16)));
	f->id = 1;                      /* field index */
	f->num = tt->fields[1].offset;  /* byte offset */
	f->flags = NF_TUPLE_INDEX;
	VEC_PUSH(&p->body, stmt(printf_("%s\n", 1, f)));
	add_probe(prog, p);
	return prog;
}

static void write_ir(struct node *root)
{
	struct source src = { "stdin", "BEGIN {}" };
	ir_write(1, &src, root, &M);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mkir CASE [N]\n");
		return 2;
	}
	meta_config_defaults(&M.cfg);
	if (getenv("MKIR_K"))
		M.cfg.helper_check_level = atoi(getenv("MKIR_K"));
	const char *c = argv[1];
	struct node *root;
	if (!strcmp(c, "printf")) root = case_printf();
	else if (!strcmp(c, "maps")) root = case_maps();
	else if (!strcmp(c, "bigprintf")) root = case_bigprintf();
	else if (!strcmp(c, "manyprobes")) root = case_manyprobes(argc > 2 ? atoi(argv[2]) : 1000);
	else if (!strcmp(c, "strings")) root = case_strings();
	else if (!strcmp(c, "tuples")) root = case_tuples();
	else {
		fprintf(stderr, "mkir: unknown case %s\n", c);
		return 2;
	}
	write_ir(root);
	return 0;
}
