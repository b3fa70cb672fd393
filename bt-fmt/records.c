/* records.c - one function per `out` record kind (ir-spec/out.md) and the
 * dispatch table main's loop uses.  Events are decoded here (printf, join,
 * print(value), helper_error); what they print is up to the emitter of the
 * chosen format.  Records that only fill tables (sym, stack, username,
 * cgroup) print nothing.
 */
#include "fmt.h"

#include <errno.h>
#include <stdio.h>

#include "arena.h"

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static const char *helper_msg(const char *func, int32_t ret)
{
	if (!func)
		func = "";
	if (strcmp(func, "map_update_elem") == 0 && ret == -E2BIG)
		return "Map full; can't update element. Try increasing max_map_keys config";
	if (strcmp(func, "map_delete_elem") == 0 && ret == -ENOENT)
		return "Can't delete map element because it does not exist.";
	if (strcmp(func, "map_lookup_elem") == 0)
		return "Can't lookup map element because it does not exist.";
	return strerror(-ret);
}

static void ev_join(struct fmt *f, const uint8_t *d, size_t n)
{
	enum { NSLOTS = 16, SLOT = 1024 };
	if (n < 16) {
		fmt_fail(f, "join event too short");
		return;
	}
	uint64_t jid = read_u64(d + 8);
	if (jid >= f->meta.join_delims.n) {
		fmt_fail(f, "join id %llu out of range", (unsigned long long)jid);
		return;
	}
	const char *delim = f->meta.join_delims.v[jid];
	struct sbuf *b = &f->tmp;
	b->len = 0;
	for (size_t i = 0; i < NSLOTS; i++) {
		size_t off = 16 + i * SLOT;
		if (off >= n || d[off] == 0)
			break;
		size_t max = n - off < SLOT ? n - off : SLOT;
		if (i)
			sb_puts(b, delim);
		sb_put(b, d + off, strnlen((const char *)d + off, max));
	}
	fmt_emitter(f)->message(f, MSG_JOIN, b->p, b->len);
}

static void ev_print_value(struct fmt *f, const uint8_t *d, size_t n)
{
	if (n < 16) {
		fmt_fail(f, "print event too short");
		return;
	}
	uint64_t pid = read_u64(d + 8);
	if (pid >= f->meta.print_types.n) {
		fmt_fail(f, "print id %llu out of range", (unsigned long long)pid);
		return;
	}
	const struct type *t = f->meta.print_types.v[pid];
	if (n < 16 + (size_t)t->size) {
		fmt_fail(f, "print event too short for a %s", type_str(t));
		return;
	}
	fmt_emitter(f)->value(f, t, d + 16);
}

static void ev_helper_error(struct fmt *f, const uint8_t *d, size_t n)
{
	if (n < 20) {
		fmt_fail(f, "helper_error event too short");
		return;
	}
	uint64_t eid = read_u64(d + 8);
	int32_t ret = (int32_t)u32_at(d + 16);
	if (eid >= f->meta.helper_errors.n) {
		fmt_fail(f, "helper error id %llu out of range", (unsigned long long)eid);
		return;
	}
	const struct meta_helper_error *h = &f->meta.helper_errors.v[eid];
	fmt_emitter(f)->helper_error(f, h, helper_msg(h->func, ret), ret);
}

static void rec_event(struct fmt *f, const msgpack_object *r)
{
	const msgpack_object *o = mp_get(r, "data");
	if (!o || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size < 8) {
		fmt_fail(f, "bad event record (no data)");
		return;
	}
	const uint8_t *d = (const uint8_t *)o->via.bin.ptr;
	size_t n = o->via.bin.size;
	uint64_t id = read_u64(d);
	if (id < ASYNC_SYSTEM_BASE) {
		if (f->format == FMT_TEXT || f->format == FMT_PICTURE) {
			printf_fmt(f, &f->out.b, (uint32_t)id, d, n);
		} else if (f->format == FMT_JSON) {
			f->tmp.len = 0;
			printf_fmt(f, &f->tmp, (uint32_t)id, d, n);
			json_emitter.message(f, MSG_PRINTF, f->tmp.p, f->tmp.len);
		}
		return;
	}
	switch (id) {
	case ASYNC_JOIN: ev_join(f, d, n); break;
	case ASYNC_PRINT_NON_MAP: ev_print_value(f, d, n); break;
	case ASYNC_HELPER_ERROR: ev_helper_error(f, d, n); break;
	default: break;   /* handled by bt-load (exit, clear, time, ...) */
	}
}

/* bpftrace's own message lines that JSON prints as lost_events records */
static bool is_lost_message(const char *s, size_t n)
{
	static const char wp[] = "Failed to attach watchpoint probe";
	return n >= sizeof wp - 1 && memcmp(s, wp, sizeof wp - 1) == 0;
}

static void rec_text(struct fmt *f, const msgpack_object *r)
{
	static const struct { const char *name; enum msg_kind k; } kinds[] = {
		{ "system", MSG_SYSCALL }, { "cat", MSG_CAT }, { "time", MSG_TIME },
		{ "iter", MSG_ITER }, { "message", MSG_ITER },
	};
	const msgpack_object *k = mp_get(r, "kind");
	const msgpack_object *d = mp_get(r, "data");
	if (!k || k->type != MSGPACK_OBJECT_STR || !d ||
	    (d->type != MSGPACK_OBJECT_BIN && d->type != MSGPACK_OBJECT_STR)) {
		fmt_fail(f, "bad text record");
		return;
	}
	enum msg_kind mk = MSG_ITER;   /* unknown kinds: printed verbatim too */
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (mp_key_is(k, kinds[i].name))
			mk = kinds[i].k;
	if (mp_key_is(k, "message") && is_lost_message(d->via.bin.ptr, d->via.bin.size))
		mk = MSG_LOST;
	fmt_emitter(f)->message(f, mk, d->via.bin.ptr, d->via.bin.size);
}

static void rec_attached(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	uint64_t n = mp_get_uint(&e, r, "n");
	if (e.set)
		fmt_fail(f, "bad attached record: %s", e.msg);
	else if (f->quiet)
		return;
	else if (n == 0)
		sb_puts(&f->std->b, "No probes to attach\n");   /* plain stdout, also in JSON */
	else
		fmt_emitter(f)->attached(f, n);
}

static void rec_lost(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	uint64_t n = mp_get_uint(&e, r, "n");
	if (e.set)
		fmt_fail(f, "bad lost record: %s", e.msg);
	else
		fmt_emitter(f)->lost(f, n);
}

static void rec_final(struct fmt *f, const msgpack_object *r)
{
	final_separator(f);
}

void final_separator(struct fmt *f)
{
	/* always on stdout, even with -o or JSON (docs/bpftrace-compat.md
	 * "Run sequence"); folded output is only stacks */
	if (f->format == FMT_FOLDED)
		return;
	sb_puts(&f->std->b, "\n\n");
	if (f->std != &f->out)
		output_flush(f->std);
}

static void rec_sym(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	bool user = mp_get_bool(&e, r, "user");
	uint64_t pid = mp_get_uint(&e, r, "pid");
	uint64_t addr = mp_get_uint(&e, r, "addr");
	const char *name = mp_get_str(&e, r, "name");
	if (e.set)
		fmt_fail(f, "bad sym record: %s", e.msg);
	else
		tab_add_sym(f->tab, user, pid, addr, name);
}

static void rec_stack(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	bool user = mp_get_bool(&e, r, "user");
	uint64_t pid = mp_get_uint(&e, r, "pid");
	uint64_t limit = mp_get_uint(&e, r, "limit");
	uint64_t id = mp_get_uint(&e, r, "id");
	const msgpack_object *fr;
	uint32_t n = mp_array(&e, mp_get(r, "frames"), "frames", &fr);
	struct stack *s = ARENA_NEW(struct stack);
	s->frames = ARENA_ARRAY(struct frame, n + 1);
	for (uint32_t i = 0; i < n && !e.set; i++) {
		const msgpack_object *x;
		if (mp_array(&e, &fr[i], "frame", &x) != 4) {
			mp_fail(&e, "frame %u is not [addr, name, offset, module]", i);
			break;
		}
		struct frame *o = &s->frames[s->n++];
		o->addr = mp_uint(&e, &x[0], "addr");
		o->name = mp_str(&e, &x[1], "name", NULL);
		o->offset = mp_uint(&e, &x[2], "offset");
		o->module = mp_str(&e, &x[3], "module", NULL);
	}
	if (e.set)
		fmt_fail(f, "bad stack record: %s", e.msg);
	else
		tab_add_stack(f->tab, user, pid, limit, id, s);
}

static void rec_username(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	uint64_t uid = mp_get_uint(&e, r, "uid");
	const char *name = mp_get_str(&e, r, "name");
	if (e.set)
		fmt_fail(f, "bad username record: %s", e.msg);
	else
		tab_add_user(f->tab, uid, name);
}

static void rec_cgroup(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	uint64_t id = mp_get_uint(&e, r, "id");
	uint64_t filter = mp_get_uint(&e, r, "filter");
	const char *path = mp_get_str(&e, r, "path");
	if (e.set)
		fmt_fail(f, "bad cgroup record: %s", e.msg);
	else
		tab_add_cgroup(f->tab, id, filter, path);
}

static void flush_all(struct fmt *f)
{
	output_flush(&f->out);
	if (f->std != &f->out)
		output_flush(f->std);
}

static void rec_error(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	const char *msg = mp_get_str(&e, r, "msg");
	if (f->live || !msg)
		return;   /* bt-load already printed it */
	flush_all(f);
	fprintf(stderr, "%s\n", msg);
}

static void rec_child(struct fmt *f, const msgpack_object *r)
{
	struct mp_err e = { 0 };
	const msgpack_object *how = mp_get(r, "how");
	int64_t code = mp_get_int(&e, r, "code");
	if (e.set || !how) {
		fmt_fail(f, "bad child record");
		return;
	}
	flush_all(f);
	if (mp_key_is(how, "signal"))
		fprintf(stderr, "Child terminated by signal: %lld\n", (long long)code);
	else
		fprintf(stderr, "Child exited with code: %lld\n", (long long)code);
}

static const struct {
	const char *t;
	void (*fn)(struct fmt *f, const msgpack_object *r);
} records[] = {
	{ "event", rec_event },   /* the frequent one first */
	{ "map", map_record },
	{ "text", rec_text },
	{ "sym", rec_sym },
	{ "stack", rec_stack },
	{ "username", rec_username },
	{ "cgroup", rec_cgroup },
	{ "attached", rec_attached },
	{ "lost", rec_lost },
	{ "final", rec_final },
	{ "error", rec_error },
	{ "child", rec_child },
};

void dispatch(struct fmt *f, const msgpack_object *r)
{
	const msgpack_object *t = mp_get(r, "t");
	if (!t || t->type != MSGPACK_OBJECT_STR) {
		fmt_fail(f, "record without a type ('t')");
		return;
	}
	for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
		if (mp_key_is(t, records[i].t)) {
			records[i].fn(f, r);
			return;
		}
	/* unknown record kinds are ignored (newer writers may add some) */
}

