/* meta_target.c - the "target" pair of the program metadata: what the
 * program was compiled against (kernel release, BTF identity, snapshot)
 * and the facts of that kernel it relies on that CO-RE cannot relocate
 * (tracepoint format fields) or that bt-load checks before loading
 * (relocated kernel-type fields).  Format: ir-spec/obj.md "Target".
 * Absent in older streams: everything empty.
 */
#include <string.h>

#include "meta.h"
#include "mp.h"

typedef VEC(struct meta_layout) layoutvec;

static void put_layouts(msgpack_packer *pk, const char *key, const void *list)
{
	const layoutvec *v = list;
	mp_key(pk, key);
	msgpack_pack_array(pk, v->n);
	for (size_t i = 0; i < v->n; i++) {
		const struct meta_layout *l = &v->v[i];
		msgpack_pack_array(pk, 2);
		mp_put_str(pk, l->name);
		msgpack_pack_array(pk, l->fields.n);
		for (size_t k = 0; k < l->fields.n; k++) {
			msgpack_pack_array(pk, 3);
			mp_put_str(pk, l->fields.v[k].name);
			msgpack_pack_uint32(pk, l->fields.v[k].offset);
			msgpack_pack_uint32(pk, l->fields.v[k].size);
		}
	}
}

void meta_target_encode(msgpack_packer *pk, const struct meta_target *t)
{
	mp_key(pk, "target");
	msgpack_pack_map(pk, 9);
	mp_kv_str(pk, "release", t->release);
	mp_kv_str(pk, "btf", t->btf);
	mp_kv_str(pk, "snapshot", t->snapshot);
	mp_kv_str(pk, "kernel_build_id", t->kernel_build_id);
	put_layouts(pk, "tracepoints", &t->tracepoints);
	put_layouts(pk, "kfuncs", &t->kfuncs);
	mp_key(pk, "binaries");
	msgpack_pack_array(pk, t->binaries.n);
	for (size_t i = 0; i < t->binaries.n; i++) {
		msgpack_pack_array(pk, 2);
		mp_put_str(pk, t->binaries.v[i].path);
		mp_put_str(pk, t->binaries.v[i].build_id);
	}
	mp_key(pk, "core_fields");
	msgpack_pack_array(pk, t->core_fields.n);
	for (size_t i = 0; i < t->core_fields.n; i++) {
		const struct meta_core_field *f = &t->core_fields.v[i];
		msgpack_pack_array(pk, 7);
		mp_put_str(pk, f->record);
		mp_put_str(pk, f->field);
		msgpack_pack_uint32(pk, f->size);
		mp_put_loc(pk, f->loc);
	}
	mp_key(pk, "fixed_layout");
	if (t->fixed_layout) {
		msgpack_pack_array(pk, 4);
		mp_put_loc(pk, t->fixed_loc);
	} else {
		msgpack_pack_nil(pk);
	}
}

static void get_layouts(struct mp_err *err, const msgpack_object *o, const char *key,
			void *list)
{
	layoutvec *lv = list;
	const msgpack_object *items, *v, *fl;
	uint32_t n = mp_array(err, o, key, &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		if (mp_array(err, &items[i], key, &v) != 2) {
			mp_fail(err, "bad %s entry", key);
			return;
		}
		struct meta_layout l = { .name = mp_str(err, &v[0], key, NULL) };
		uint32_t nf = mp_array(err, &v[1], "fields", &fl);
		for (uint32_t k = 0; k < nf && !err->set; k++) {
			const msgpack_object *f;
			if (mp_array(err, &fl[k], "field", &f) != 3) {
				mp_fail(err, "bad %s field entry", key);
				return;
			}
			struct meta_layout_field lf = {
				.name = mp_str(err, &f[0], "field", NULL),
				.offset = (uint32_t)mp_uint(err, &f[1], "offset"),
				.size = (uint32_t)mp_uint(err, &f[2], "size"),
			};
			if (!lf.name)
				mp_fail(err, "%s field without a name", key);
			VEC_PUSH(&l.fields, lf);
		}
		if (!l.name)
			mp_fail(err, "%s entry without a name", key);
		VEC_PUSH(lv, l);
	}
}

void meta_target_decode(struct mp_err *err, const msgpack_object *o, struct meta_target *t)
{
	memset(t, 0, sizeof *t);
	if (!o || mp_is_nil(o))
		return;
	if (o->type != MSGPACK_OBJECT_MAP) {
		mp_fail(err, "field 'target' is not a map");
		return;
	}
	t->release = mp_get_str(err, o, "release");
	t->btf = mp_get_str(err, o, "btf");
	t->snapshot = mp_get_str(err, o, "snapshot");
	t->kernel_build_id = mp_get_str(err, o, "kernel_build_id");
	get_layouts(err, mp_get(o, "tracepoints"), "tracepoints", &t->tracepoints);
	get_layouts(err, mp_get(o, "kfuncs"), "kfuncs", &t->kfuncs);
	const msgpack_object *items, *v;
	uint32_t n;
	n = mp_array(err, mp_get(o, "binaries"), "binaries", &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		if (mp_array(err, &items[i], "binary", &v) != 2) {
			mp_fail(err, "bad binaries entry");
			return;
		}
		struct meta_binary b = { .path = mp_str(err, &v[0], "binary", NULL),
					 .build_id = mp_str(err, &v[1], "build id", NULL) };
		if (!b.path || !b.build_id)
			mp_fail(err, "binaries entry without a path or build id");
		VEC_PUSH(&t->binaries, b);
	}
	n = mp_array(err, mp_get(o, "core_fields"), "core_fields", &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		if (mp_array(err, &items[i], "core_field", &v) != 7) {
			mp_fail(err, "bad core_fields entry");
			return;
		}
		struct meta_core_field f = {
			.record = mp_str(err, &v[0], "record", NULL),
			.field = mp_str(err, &v[1], "field", NULL),
			.size = (uint32_t)mp_uint(err, &v[2], "size"),
			.loc = mp_loc_at(err, &v[3]),
		};
		if (!f.record || !f.field)
			mp_fail(err, "core_fields entry without a record or field name");
		VEC_PUSH(&t->core_fields, f);
	}
	const msgpack_object *fx = mp_get(o, "fixed_layout");
	if (fx && !mp_is_nil(fx)) {
		if (mp_array(err, fx, "fixed_layout", &v) != 4) {
			mp_fail(err, "bad fixed_layout entry");
			return;
		}
		t->fixed_layout = true;
		t->fixed_loc = mp_loc_at(err, v);
	}
}

void meta_target_add_field(void *list, const char *name, const char *field, uint32_t offset,
			   uint32_t size)
{
	layoutvec *lv = list;
	struct meta_layout *e = NULL;
	for (size_t i = 0; i < lv->n && !e; i++)
		if (!strcmp(lv->v[i].name, name))
			e = &lv->v[i];
	if (!e) {
		struct meta_layout n = { .name = name };
		VEC_PUSH(lv, n);
		e = &lv->v[lv->n - 1];
	}
	for (size_t k = 0; k < e->fields.n; k++)
		if (!strcmp(e->fields.v[k].name, field))
			return;
	struct meta_layout_field f = { .name = field, .offset = offset, .size = size };
	VEC_PUSH(&e->fields, f);
}
