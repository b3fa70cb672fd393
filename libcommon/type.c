/* type.c - constructors, layout and printing of types; see type.h. */
#include "type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

static const char *kind_names[TY__COUNT] = {
	[TY_NONE] = "none",         [TY_INT] = "int",
	[TY_PTR] = "pointer",       [TY_RECORD] = "record",
	[TY_ARRAY] = "array",       [TY_STRING] = "string",
	[TY_BUFFER] = "buffer",     [TY_TUPLE] = "tuple",
	[TY_COUNT] = "count",       [TY_SUM] = "sum",
	[TY_MIN] = "min",           [TY_MAX] = "max",
	[TY_AVG] = "avg",           [TY_STATS] = "stats",
	[TY_HIST] = "hist",         [TY_LHIST] = "lhist",
	[TY_KSTACK] = "kstack",     [TY_USTACK] = "ustack",
	[TY_KSYM] = "ksym",         [TY_USYM] = "usym",
	[TY_PROBE] = "probe",       [TY_USERNAME] = "username",
	[TY_INET] = "inet",         [TY_TIMESTAMP] = "timestamp",
	[TY_MACADDR] = "mac_address", [TY_CGROUP_PATH] = "cgroup_path",
	[TY_STRERROR] = "strerror", [TY_STACK_MODE] = "stack mode",
	[TY_TS_MODE] = "timestamp mode",
};

const char *type_kind_name(enum type_kind k)
{
	return (unsigned)k < TY__COUNT ? kind_names[k] : "?";
}

struct type *type_new(enum type_kind kind, uint32_t size)
{
	struct type *t = ARENA_NEW(struct type);
	t->kind = kind;
	t->size = size;
	return t;
}

struct type *type_none(void)
{
	static struct type none;   /* shared, as type_int's */
	return &none;
}

struct type *type_int(int bits, bool is_signed)
{
	/* The usual widths are shared (not arena memory, which the fuzzers
	 * release between inputs): bt-check types every expression again on
	 * each inference pass, a new int64 each time was most of its memory. */
	static struct type shared[5][2];
	int w = bits == 1 ? 0 : bits == 8 ? 1 : bits == 16 ? 2 : bits == 32 ? 3
	      : bits == 64 ? 4 : -1;
	struct type *t = w >= 0 ? &shared[w][is_signed] : ARENA_NEW(struct type);
	if (w < 0 || t->kind != TY_INT) {
		t->kind = TY_INT;
		t->size = bits == 1 ? 1 : (uint32_t)bits / 8;
		t->bits = (uint8_t)bits;
		t->is_signed = is_signed;
	}
	return t;
}

struct type *type_bool(void) { return type_int(1, false); }

struct type *type_string(uint32_t size) { return type_new(TY_STRING, size); }

struct type *type_buffer(uint32_t size) { return type_new(TY_BUFFER, size); }

struct type *type_ptr(struct type *elem, enum addrspace as)
{
	struct type *t = type_new(TY_PTR, 8);
	t->elem = elem;
	t->as = (uint8_t)as;
	return t;
}

struct type *type_array(struct type *elem, uint32_t count)
{
	struct type *t = type_new(TY_ARRAY, elem->size * count);
	t->elem = elem;
	t->count = count;
	return t;
}

struct type *type_record(const char *name)
{
	struct type *t = type_new(TY_RECORD, 0);
	t->name = arena_strdup(name);
	t->incomplete = true;
	return t;
}

struct type *type_stack(bool user, enum stack_mode mode, uint16_t limit)
{
	struct type *t = type_new(user ? TY_USTACK : TY_KSTACK, user ? 16 : 8);
	t->stack_mode = (uint8_t)mode;
	t->stack_limit = limit;
	return t;
}

/* The shared leaf types: malloc'd (not arena memory, which the fuzzers
 * release between inputs), found by a hash of their fields. */
static struct {
	struct type **slots;
	size_t nslots, n;
} shared_leaves;

bool type_leaf_equal(const struct type *a, const struct type *b)
{
	return a->kind == b->kind && a->size == b->size && a->bits == b->bits &&
	       a->is_signed == b->is_signed && a->as == b->as && a->ctx == b->ctx &&
	       a->is_tparg == b->is_tparg && a->is_funcarg == b->is_funcarg &&
	       a->stack_mode == b->stack_mode && a->stack_limit == b->stack_limit &&
	       a->ts_mode == b->ts_mode && a->count == b->count && a->align == b->align &&
	       a->incomplete == b->incomplete && a->btf == b->btf;
}

uint64_t type_leaf_hash(const struct type *t)
{
	uint64_t h = 1469598103934665603ULL;
	const uint64_t parts[] = {
		t->kind, t->size, t->bits, t->is_signed, t->as, t->ctx, t->is_tparg,
		t->is_funcarg, t->stack_mode, t->stack_limit, t->ts_mode, t->count,
		t->align, t->incomplete, t->btf,
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		h = (h ^ parts[i]) * 1099511628211ULL;
	return h;
}

static struct type **leaf_slot(struct type **slots, size_t nslots, const struct type *t)
{
	size_t i = (size_t)type_leaf_hash(t) & (nslots - 1);
	while (slots[i] && !type_leaf_equal(slots[i], t))
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

struct type *type_shared(const struct type *t)
{
	if (t->elem || t->nfields || t->name)
		return type_clone(t);
	if ((shared_leaves.n + 1) * 2 > shared_leaves.nslots) {
		size_t nslots = shared_leaves.nslots ? shared_leaves.nslots * 2 : 64;
		struct type **slots = calloc(nslots, sizeof *slots);
		if (!slots) {
			fprintf(stderr, "ERROR: out of memory\n");
			exit(1);
		}
		for (size_t i = 0; i < shared_leaves.nslots; i++)
			if (shared_leaves.slots[i])
				*leaf_slot(slots, nslots, shared_leaves.slots[i]) =
					shared_leaves.slots[i];
		free(shared_leaves.slots);
		shared_leaves.slots = slots;
		shared_leaves.nslots = nslots;
	}
	struct type **s = leaf_slot(shared_leaves.slots, shared_leaves.nslots, t);
	if (!*s) {
		struct type *c = malloc(sizeof *c);
		if (!c) {
			fprintf(stderr, "ERROR: out of memory\n");
			exit(1);
		}
		*c = *t;
		*s = c;
		shared_leaves.n++;
	}
	return *s;
}

struct type *type_clone(const struct type *t)
{
	struct type *c = ARENA_NEW(struct type);
	*c = *t;
	return c;
}

bool type_is_int(const struct type *t) { return t && t->kind == TY_INT; }

bool type_is_aggregation(const struct type *t)
{
	return t && t->kind >= TY_COUNT && t->kind <= TY_LHIST;
}

bool type_is_byte_array(const struct type *t)
{
	switch (t ? t->kind : TY_NONE) {
	case TY_STRING: case TY_USYM: case TY_USTACK: case TY_INET:
	case TY_BUFFER: case TY_TIMESTAMP: case TY_MACADDR:
	case TY_CGROUP_PATH:
		return true;
	default:
		return false;
	}
}

bool type_is_aggregate(const struct type *t)
{
	return type_is_byte_array(t) ||
	       (t && (t->kind == TY_ARRAY || t->kind == TY_TUPLE ||
		      t->kind == TY_RECORD));
}

uint32_t type_alignment(const struct type *t)
{
	if (type_is_byte_array(t))
		return 1;
	if (t->kind == TY_TUPLE || t->kind == TY_RECORD)
		return t->align ? t->align : 1;
	if (t->kind == TY_ARRAY)
		return type_alignment(t->elem);
	if (t->size <= 2)
		return t->size ? t->size : 1;
	if (t->size <= 4)
		return 4;
	return 8;
}

struct type *type_tuple(struct type **elems, uint32_t n)
{
	struct type *t = type_new(TY_TUPLE, 0);
	t->nfields = n;
	t->fields = ARENA_ARRAY(struct field, n);
	uint32_t off = 0, maxalign = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = type_alignment(elems[i]);
		if (a > maxalign)
			maxalign = a;
		off = (off + a - 1) / a * a;
		t->fields[i].type = elems[i];
		t->fields[i].offset = off;
		off += elems[i]->size;
	}
	t->align = maxalign;
	t->size = (off + maxalign - 1) / maxalign * maxalign;
	return t;
}

const struct field *type_field(const struct type *t, const char *name)
{
	if (!t)
		return NULL;
	for (uint32_t i = 0; i < t->nfields; i++)
		if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

bool type_equal(const struct type *a, const struct type *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TY_INT:
		return a->bits == b->bits && a->is_signed == b->is_signed;
	case TY_PTR:
		return type_equal(a->elem, b->elem);
	case TY_ARRAY:
		return a->count == b->count && type_equal(a->elem, b->elem);
	case TY_RECORD:
		return a->name && b->name && strcmp(a->name, b->name) == 0;
	case TY_TUPLE:
		if (a->nfields != b->nfields)
			return false;
		for (uint32_t i = 0; i < a->nfields; i++)
			if (!type_equal(a->fields[i].type, b->fields[i].type))
				return false;
		return true;
	case TY_KSTACK: case TY_USTACK:
		return a->stack_mode == b->stack_mode &&
		       a->stack_limit == b->stack_limit;
	default:
		return a->size == b->size;
	}
}

static void type_print(struct astr *b, const struct type *t)
{
	char tmp[64];
	if (!t) {
		astr_adds(b, "none");
		return;
	}
	switch (t->kind) {
	case TY_INT:
		snprintf(tmp, sizeof tmp, "%sint%d", t->is_signed ? "" : "unsigned ",
			 t->bits == 1 ? 0 : t->bits);
		astr_adds(b, tmp);
		break;
	case TY_PTR:
		if (t->ctx)
			astr_adds(b, "(ctx) ");
		type_print(b, t->elem);
		astr_adds(b, " *");
		break;
	case TY_ARRAY:
		type_print(b, t->elem);
		snprintf(tmp, sizeof tmp, "[%u]", t->count);
		astr_adds(b, tmp);
		break;
	case TY_STRING: case TY_BUFFER:
		snprintf(tmp, sizeof tmp, "%s[%u]", kind_names[t->kind], t->size);
		astr_adds(b, tmp);
		break;
	case TY_RECORD:
		astr_adds(b, t->name ? t->name : "record");
		break;
	case TY_TUPLE:
		astr_adds(b, "(");
		for (uint32_t i = 0; i < t->nfields; i++) {
			if (i)
				astr_adds(b, ",");
			type_print(b, t->fields[i].type);
		}
		astr_adds(b, ")");
		break;
	default:
		astr_adds(b, type_kind_name(t->kind));
	}
}

const char *type_str(const struct type *t)
{
	struct astr b = { 0 };
	type_print(&b, t);
	return b.s ? b.s : "";
}
