/* maps.c - map value and key types across the whole program
 * (docs/bpftrace-compat.md "Maps and variables"), map assignments, and the
 * maps part of the metadata (sorted by name, ids = positions, ir.md
 * "Metadata").
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct mapinfo *map_get(struct check *c, const char *name)
{
	struct mapinfo *m = strindex_get(&c->map_index, name);
	if (m)
		return m;
	m = ARENA_NEW(struct mapinfo);
	m->name = name;
	m->hist_bits = -1;
	m->id = -1;
	VEC_PUSH(&c->maps, m);
	strindex_put(&c->map_index, name, m);
	return m;
}

/* Tuples: element strings may grow; everything else must match. */
struct type *tuple_merge(struct check *c, struct type *have, struct type *got,
			 struct loc loc)
{
	if (have->nfields != got->nfields)
		goto mismatch;
	struct type **elems = ARENA_ARRAY(struct type *, have->nfields);
	bool grew = false;
	for (uint32_t i = 0; i < have->nfields; i++) {
		struct type *h = have->fields[i].type, *g = got->fields[i].type;
		if (h->kind == TY_STRING && g->kind == TY_STRING) {
			elems[i] = g->size > h->size ? g : h;
			grew |= g->size > h->size;
		} else if (h->kind == TY_TUPLE && g->kind == TY_TUPLE) {
			elems[i] = tuple_merge(c, h, g, loc);
			if (!elems[i])
				return NULL;
			grew |= elems[i] != h;
		} else if (type_equal(h, g) ||
			   (h->kind == TY_INT && g->kind == TY_INT && h->size == g->size)) {
			elems[i] = h;
		} else {
			goto mismatch;
		}
	}
	return grew ? type_tuple(elems, have->nfields) : have;
mismatch:
	err_final(c, loc, "Tuple type mismatch: %s != %s.", type_str(have), type_str(got));
	return NULL;
}

static const char *type_list(uint32_t n, struct type **t)
{
	const char *s = "[";
	for (uint32_t i = 0; i < n; i++)
		s = arena_printf("%s%s%s", s, i ? ", " : "", type_str(t[i]));
	return arena_printf("%s]", s);
}

/* The recorded form of a key component: ints as unsigned 64 (so signed
 * and unsigned keys mix), no address space. */
static struct type *key_type(struct type *t)
{
	if (t->kind == TY_INT)
		return type_int(64, false);
	return type_with_as(t, AS_NONE);
}

static void check_map_keys(struct check *c, struct node *map)
{
	uint32_t n = (uint32_t)map->args.n;
	struct type **keys = ARENA_ARRAY(struct type *, n + 1);
	bool complete = true;
	for (uint32_t i = 0; i < n; i++) {
		struct node *k = map->args.v[i];
		if (k->kind == N_CALL)
			visit_call(c, k, CALL_MAP_KEY, NULL);
		else
			visit_expr(c, k);
		struct type *t = k->type;
		if (t->kind == TY_NONE) {
			complete = false;
			if (c->final)
				err(c, k->loc, "Invalid expression for assignment: ");
			continue;
		}
		/* (bpftrace places these two at the map, not at the key) */
		if (t->kind == TY_TUPLE)
			err_final(c, map->loc,
				  "tuple cannot be used as a map key. Try a multi-key associative "
				  "array instead (eg `@map[$1, $2] = ...)`.");
		else if (t->ctx && !t->is_funcarg)
			err_final(c, map->loc, "context cannot be used as a map key");
		else if (t->kind == TY_RECORD && t->is_tparg)
			err_final(c, k->loc, "Storing tracepoint args in maps is not supported");
		if (c->final && t->kind == TY_INT && t->bits < 64) {
			map->args.v[i] = wrap_cast(k, type_int(64, t->is_signed));
		}
		keys[i] = key_type(t);
	}
	if (!complete || c->skip_key_check)
		return;
	struct mapinfo *m = map_get(c, map->str);
	if (!m->keys_known) {
		m->keys_known = true;
		m->nkeys = n;
		m->keys = keys;
		mark_changed(c);
		return;
	}
	bool same = m->nkeys == n;
	for (uint32_t i = 0; same && i < n; i++) {
		struct type *h = m->keys[i], *g = keys[i];
		if (h->kind == TY_STRING && g->kind == TY_STRING) {
			if (g->size > h->size) {
				m->keys[i] = g;
				mark_changed(c);
			}
		} else if (h->kind == TY_TUPLE && g->kind == TY_TUPLE) {
			same = tuple_merge(c, h, g, map->loc) != NULL;
		} else if (!type_equal(h, g)) {
			same = false;
		}
	}
	if (!same)
		err(c, map->loc,
		    "Argument mismatch for %s: trying to access with arguments: %s when map "
		    "expects arguments: %s", map->str, type_list(n, keys),
		    type_list(m->nkeys, m->keys));
}

static void note_node(struct check *c, struct mapinfo *m, struct node *n)
{
	if (c->final)
		VEC_PUSH(&m->nodes, n);
}

void visit_map(struct check *c, struct node *n)
{
	struct mapinfo *m = map_get(c, n->str);
	if (!m->loc.line)
		m->loc = n->loc;
	check_map_keys(c, n);
	note_node(c, m, n);
	if (m->value) {
		n->type = m->value;
	} else {
		n->type = type_none();
		if (c->final) {
			err(c, n->loc, "Undefined map: %s", n->str);
			c->undefined_errors++;
		}
	}
}

/* The type a map stores for a value of type t (ints widen to 64 bits and
 * keep their address space: a uprobe's arg0 read back in a uretprobe is
 * still a user address). */
static struct type *stored_type(struct type *t)
{
	if (t->kind == TY_INT)
		return type_with_as(type_int(64, t->is_signed), (enum addrspace)t->as);
	if (t->ctx) {
		t = type_clone(t);
		t->ctx = false;
	}
	return t;
}

static void assign_map_type(struct check *c, struct node *map, struct node *val)
{
	struct mapinfo *m = map_get(c, map->str);
	struct type *t = val->type;
	m->assigned = true;
	if (t->kind == TY_RECORD && t->is_tparg) {
		err(c, map->loc, "Storing tracepoint args in maps is not supported");
		return;
	}
	if (!m->value) {
		m->value = stored_type(t);
		mark_changed(c);
		return;
	}
	struct type *have = m->value;
	if (have->kind != t->kind) {
		err(c, map->loc,
		    "Type mismatch for %s: trying to assign value of type '%s' when map already "
		    "contains a value of type '%s", map->str, type_str(t), type_str(have));
		return;
	}
	switch (t->kind) {
	case TY_RECORD:
		if (have->name && t->name && strcmp(have->name, t->name) != 0)
			err(c, map->loc,
			    "Type mismatch for %s: trying to assign value of type '%s' when map "
			    "already contains a value of type '%s''", map->str, t->name, have->name);
		break;
	case TY_STRING:
		if (t->size > have->size) {
			m->value = stored_type(t);
			mark_changed(c);
		}
		break;
	case TY_BUFFER:
		if (t->size > have->size)
			warn_final(c, map->loc,
				   "Buffer size mismatch: %u != %u. The value may be truncated.",
				   have->size, t->size);
		else if (t->size < have->size)
			err_final(c, map->loc, "Buffer size mismatch: %u != %u.", have->size,
				  t->size);
		break;
	case TY_TUPLE: {
		struct type *g = tuple_merge(c, have, t, map->loc);
		if (g && g != have) {
			m->value = g;
			mark_changed(c);
		}
		break;
	}
	case TY_ARRAY:
		if (!type_equal(have, t))
			err_final(c, map->loc, "Array type mismatch: %s != %s.", type_str(have),
				  type_str(t));
		break;
	case TY_SUM: case TY_MIN: case TY_MAX:
		/* signedness follows the first assignment */
		break;
	case TY_KSTACK: case TY_USTACK:
		if (!type_equal(have, t))
			err(c, map->loc,
			    "Type mismatch for %s: trying to assign value of type '%s' when map "
			    "already contains a value of type '%s", map->str, type_str(t),
			    type_str(have));
		break;
	default:
		break;
	}
}

void visit_assign_map(struct check *c, struct node *s)
{
	struct node *map = s->a, *val = s->b;
	struct mapinfo *m = map_get(c, map->str);
	if (!m->loc.line)
		m->loc = map->loc;
	check_map_keys(c, map);
	note_node(c, m, map);
	if ((s->flags & NF_COMPOUND) && !m->value) {
		/* @x += n on an undefined map defines it as int64 */
		m->value = type_int(64, true);
		m->assigned = true;
		mark_changed(c);
	}
	int before = errors_before_last_pass(c);
	if (val->kind == N_CALL)
		visit_call(c, val, CALL_MAP_RHS, map);
	else
		visit_expr(c, val);
	struct type *t = val->type;
	if (t->kind == TY_NONE) {
		if (c->final && errors_before_last_pass(c) == before) {
			if (!m->value) {
				err(c, map->loc, "Undefined map: %s", map->str);
				c->undefined_errors++;
			} else {
				err(c, map->loc,
				    "Type mismatch for %s: trying to assign value of type 'none' when "
				    "map already contains a value of type '%s", map->str,
				    type_str(m->value));
			}
			err(c, val->loc, "Invalid expression for assignment: %s", type_str(t));
		}
		map->type = m->value ? m->value : type_none();
		return;
	}
	if (t->kind == TY_RECORD && t->is_tparg) {
		err(c, map->loc, "Storing tracepoint args in maps is not supported");
		map->type = type_none();
		return;
	}
	if (t->ctx && !t->is_funcarg && t->kind != TY_INT) {
		err(c, s->loc, "context cannot be assigned to a map");
		map->type = type_none();
		return;
	}
	assign_map_type(c, map, val);
	map->type = m->value ? m->value : type_none();
	if (c->final && t->kind == TY_INT && m->value && m->value->kind == TY_INT &&
	    t->bits != 64)
	{
		s->b = wrap_cast(val, type_int(64, t->is_signed));
		s->b->flags |= NF_CHECK_IMPLICIT;
	}
}

static int cmp_map(const void *a, const void *b)
{
	const struct mapinfo *x = *(struct mapinfo *const *)a;
	const struct mapinfo *y = *(struct mapinfo *const *)b;
	return strcmp(x->name, y->name);
}

void maps_build_meta(struct check *c)
{
	size_t n = 0;
	struct mapinfo **v = ARENA_ARRAY(struct mapinfo *, c->maps.n + 1);
	for (size_t i = 0; i < c->maps.n; i++)
		if (c->maps.v[i]->value && c->maps.v[i]->nodes.n)
			v[n++] = c->maps.v[i];
	qsort(v, n, sizeof *v, cmp_map);
	VEC_RESERVE(&c->meta->maps, c->meta->maps.n + n);
	for (size_t i = 0; i < n; i++) {
		struct mapinfo *m = v[i];
		m->id = (int)i;
		struct meta_map mm = { 0 };
		mm.name = m->name;
		mm.id = (uint32_t)i;
		mm.value = m->value;
		mm.nkeys = m->keys_known ? m->nkeys : 0;
		mm.keys = m->keys;
		uint32_t ks = 0;
		for (uint32_t k = 0; k < mm.nkeys; k++)
			ks += m->keys[k]->size;
		mm.key_size = ks ? ks : 8;
		mm.hist_bits = m->hist_bits < 0 ? 0 : m->hist_bits;
		mm.lh_min = m->lh_min;
		mm.lh_max = m->lh_max;
		mm.lh_step = m->lh_step;
		VEC_PUSH(&c->meta->maps, mm);
		for (size_t j = 0; j < m->nodes.n; j++)
			m->nodes.v[j]->id = (int32_t)i;
	}
}
