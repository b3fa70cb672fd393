/* btf.c - kernel types from BTF: loaded lazily (only when a kernel type,
 * kfunc args or an iterator is asked for) from BPFTRACE_BTF or
 * /sys/kernel/btf/vmlinux, converted to struct type (docs/bpftrace-compat.md
 * "C types" mapping); kfunc/kretfunc expansion and args; iterator names; C
 * declarations for -lv and struct listings.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

#define BTF_KEY "btf/vmlinux"
#define MAX_DEPTH 32

struct btf *sys_btf(struct sys *s)
{
	if (s->btf_tried)
		return s->btf;
	s->btf_tried = true;
	const char *path;
	if (s->sysroot) {
		path = sys_snap_path(s, BTF_KEY);
	} else {
		const char *env = getenv("BPFTRACE_BTF");
		path = env && *env ? env : LIVE_BTF;
	}
	struct btf *b = btf__parse(path, NULL);
	if (!b)
		return NULL;
	s->btf = b;
	s->btf_path = arena_strdup(path);
	if (s->snapdir) {
		size_t len;
		char *data = sys_read_file(path, &len);
		if (data)
			sys_src_note_full(s, BTF_KEY, data, len);
	}
	return b;
}

bool sys_has_btf(struct sys *s)
{
	if (s->btf_tried || s->sysroot || s->snapdir)
		return sys_btf(s) != NULL;
	const char *env = getenv("BPFTRACE_BTF");
	return access(env && *env ? env : LIVE_BTF, R_OK) == 0;
}

/* ---- BTF -> struct type ---- */

struct btf_conv {
	struct sys *s;
	struct btf *btf;
	struct type **records; /* by id: complete records built so far */
};

static struct btf_conv *conv_for(struct sys *s, struct btf *b,
				 struct type ***records)
{
	if (!b)
		return NULL;
	if (!*records)
		*records = ARENA_ARRAY(struct type *, btf__type_cnt(b));
	struct btf_conv *c = ARENA_NEW(struct btf_conv);
	c->s = s;
	c->btf = b;
	c->records = *records;
	return c;
}

static struct btf_conv *conv(struct sys *s)
{
	return conv_for(s, sys_btf(s), &s->btf_records);
}

/* A module's split BTF (/sys/kernel/btf/<module> on top of vmlinux),
 * loaded on first use and recorded as btf/<module>. */
struct btf_module {
	const char *name;
	struct btf *btf;
	struct type **records;
};

static struct btf_conv *conv_module(struct sys *s, const char *module)
{
	if (!module || !strcmp(module, "vmlinux") || strchr(module, '/') ||
	    module[0] == '.')
		return conv(s);
	for (size_t i = 0; i < s->btf_mods.n; i++) {
		struct btf_module *m = s->btf_mods.v[i];
		if (!strcmp(m->name, module))
			return conv_for(s, m->btf, &m->records);
	}
	struct btf_module *m = ARENA_NEW(struct btf_module);
	m->name = arena_strdup(module);
	VEC_PUSH(&s->btf_mods, m);
	struct btf *base = sys_btf(s);
	if (!base)
		return NULL;
	const char *key = arena_printf("btf/%s", module);
	const char *path = s->sysroot ? sys_snap_path(s, key)
				      : arena_printf("/sys/kernel/btf/%s", module);
	m->btf = btf__parse_split(path, base);
	if (!m->btf)
		return NULL;
	if (s->snapdir) {
		size_t len;
		char *data = sys_read_file(path, &len);
		if (data)
			sys_src_note_full(s, key, data, len);
	}
	return conv_for(s, m->btf, &m->records);
}

static __u32 skip_mods(const struct btf *b, __u32 id)
{
	for (int i = 0; i < 64 && id; i++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_CONST: case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
		case BTF_KIND_TYPEDEF:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return id;
}

static const char *record_name(const struct btf *b, const struct btf_type *t,
			       __u32 id)
{
	const char *n = btf__name_by_offset(b, t->name_off);
	const char *kw = btf_is_union(t) ? "union" : "struct";
	if (n && *n)
		return arena_printf("%s %s", kw, n);
	return arena_printf("%s (anonymous %u)", kw, id);
}

static struct type *conv_type(struct btf_conv *c, __u32 id, int depth,
			      bool by_value);

static bool is_char(const struct btf *b, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(b, skip_mods(b, id));
	return t && btf_is_int(t) && t->size == 1;
}

/* Add the members of record t at base offset (bits) to fields, flattening
 * anonymous struct/union members as C allows. */
static void add_members(struct btf_conv *c, const struct btf_type *t,
			uint32_t base_bits, int depth, void *fieldvec)
{
	VEC(struct field) *fields = fieldvec;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t bits = base_bits + btf_member_bit_offset(t, i);
		uint32_t bsz = btf_member_bitfield_size(t, i);
		const char *name = btf__name_by_offset(c->btf, m->name_off);
		__u32 mid = skip_mods(c->btf, m->type);
		const struct btf_type *mt = btf__type_by_id(c->btf, mid);
		if ((!name || !*name) && mt && btf_is_composite(mt)) {
			if (depth < MAX_DEPTH)
				add_members(c, mt, bits, depth + 1, fields);
			continue;
		}
		struct field f = { .name = arena_strdup(name ? name : "") };
		f.type = conv_type(c, m->type, depth + 1, true);
		if (bsz) {
			/* bitfield: offset of the containing storage unit */
			uint32_t unit = f.type->size ? f.type->size * 8 : 8;
			uint32_t start = bits / unit * unit;
			f.offset = start / 8;
			f.bit_offset = (uint16_t)(bits - start);
			f.bit_width = (uint16_t)bsz;
		} else {
			f.offset = bits / 8;
		}
		VEC_PUSH(fields, f);
	}
}

static struct type *conv_record(struct btf_conv *c, __u32 id,
				const struct btf_type *t, int depth)
{
	if (c->records[id])
		return c->records[id];
	struct type *r = type_record(record_name(c->btf, t, id));
	r->size = t->size;
	r->btf = true;
	c->records[id] = r; /* before members: self references stop here */
	VEC(struct field) fields = { 0 };
	add_members(c, t, 0, depth, &fields);
	r->fields = fields.v;
	r->nfields = (uint32_t)fields.n;
	uint32_t align = 1;
	for (size_t i = 0; i < fields.n; i++) {
		uint32_t a = type_alignment(fields.v[i].type);
		if (a > align)
			align = a;
	}
	r->align = align;
	r->incomplete = false;
	return r;
}

/* by_value: records are expanded (else only named: pointees). */
static struct type *conv_type(struct btf_conv *c, __u32 id, int depth,
			      bool by_value)
{
	id = skip_mods(c->btf, id);
	const struct btf_type *t = id ? btf__type_by_id(c->btf, id) : NULL;
	if (!t || depth > MAX_DEPTH)
		return type_none();
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		__u32 enc = btf_int_encoding(t);
		uint32_t bits = t->size * 8;
		if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
			return type_none();
		return type_int((int)bits, (enc & BTF_INT_SIGNED) != 0);
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
			return type_none();
		{
			/* named so that bt-codegen's CO-RE mirror of the record
			 * declares an enum: libbpf relocates a field only to a
			 * field of a compatible kind, and an int is not one.  A
			 * type of its own: type_int()'s are shared by every int
			 * of that width, which would all become enums. */
			struct type *e = type_new(TY_INT, t->size);
			e->bits = (uint8_t)(t->size * 8);
			e->name = "enum";
			return e;
		}
	case BTF_KIND_PTR:
		return type_ptr(conv_type(c, t->type, depth + 1, false),
				AS_KERNEL);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		if (is_char(c->btf, a->type))
			return type_string(a->nelems);
		struct type *elem = conv_type(c, a->type, depth + 1, true);
		return type_array(elem, a->nelems);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const char *n = btf__name_by_offset(c->btf, t->name_off);
		if (!by_value && n && *n && !c->records[id]) {
			struct type *r = type_record(record_name(c->btf, t, id));
			r->size = t->size;
			r->btf = true;
			return r;
		}
		return conv_record(c, id, t, depth);
	}
	case BTF_KIND_FWD: {
		struct type *r = type_record(arena_printf(
			"%s %s", btf_kflag(t) ? "union" : "struct",
			btf__name_by_offset(c->btf, t->name_off)));
		return r;
	}
	default:
		return type_none();
	}
}

void sys_btf_use_module(struct sys *s, const char *module)
{
	if (!module || !*module || !strcmp(module, "vmlinux") || ap_has_wildcard(module))
		return;
	for (size_t i = 0; i < s->type_modules.n; i++)
		if (!strcmp(s->type_modules.v[i], module))
			return;
	VEC_PUSH(&s->type_modules, arena_strdup(module));
}

/* The BTF id of "struct x", "union x", "enum e", or a typedef / base
 * name; <= 0 if b has none (a forward declaration is none). */
static __s32 find_named(const struct btf *b, const char *name)
{
	__s32 id = -ENOENT;
	if (!strncmp(name, "struct ", 7))
		id = btf__find_by_name_kind(b, name + 7, BTF_KIND_STRUCT);
	else if (!strncmp(name, "union ", 6))
		id = btf__find_by_name_kind(b, name + 6, BTF_KIND_UNION);
	else if (!strncmp(name, "enum ", 5)) {
		id = btf__find_by_name_kind(b, name + 5, BTF_KIND_ENUM);
		if (id < 0)
			id = btf__find_by_name_kind(b, name + 5, BTF_KIND_ENUM64);
	} else {
		id = btf__find_by_name_kind(b, name, BTF_KIND_TYPEDEF);
		if (id < 0)
			id = btf__find_by_name_kind(b, name, BTF_KIND_INT);
	}
	return id;
}

/* "struct task_struct", "union x", "enum e", or a typedef / base name:
 * from vmlinux, else from the first module of the program that defines
 * it (module BTF is loaded only then). */
struct type *sys_kernel_type(struct sys *s, const char *name)
{
	/* types of the traced user programs first (uprobe args, casts) */
	struct type *ut = s->user_bins.n ? sys_dwarf_type(s, name) : NULL;
	if (ut)
		return ut;
	struct btf_conv *c = conv(s);
	if (!c)
		return NULL;
	__s32 id = find_named(c->btf, name);
	for (size_t i = 0; id <= 0 && i < s->type_modules.n; i++) {
		c = conv_module(s, s->type_modules.v[i]);
		id = c ? find_named(c->btf, name) : -ENOENT;
	}
	if (id <= 0)
		return NULL;
	return conv_type(c, (__u32)id, 0, true);
}

static const char *enum_type_name(const struct btf *b, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(b, t->name_off);
	return n && *n ? arena_printf("enum %s", n) : NULL;
}

bool sys_kernel_enum_value(struct sys *s, const char *name, uint64_t *value,
			   const char **enum_type)
{
	struct btf *b = sys_btf(s);
	if (!b)
		return false;
	__u32 n = btf__type_cnt(b);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t);
			for (int i = 0; i < btf_vlen(t); i++, e++)
				if (!strcmp(btf__name_by_offset(b, e->name_off), name)) {
					*value = btf_kflag(t) ? (uint64_t)(int64_t)e->val
							      : (uint64_t)(uint32_t)e->val;
					if (enum_type)
						*enum_type = enum_type_name(b, t);
					return true;
				}
		} else if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t);
			for (int i = 0; i < btf_vlen(t); i++, e++)
				if (!strcmp(btf__name_by_offset(b, e->name_off), name)) {
					*value = btf_enum64_value(e);
					if (enum_type)
						*enum_type = enum_type_name(b, t);
					return true;
				}
		}
	}
	return false;
}

/* ---- functions: kfunc args, iterators ---- */

static const struct btf_type *find_func(struct btf *b, const char *name,
					const struct btf_type **proto)
{
	__s32 id = btf__find_by_name_kind(b, name, BTF_KIND_FUNC);
	if (id <= 0)
		return NULL;
	const struct btf_type *f = btf__type_by_id(b, (__u32)id);
	const struct btf_type *p = f ? btf__type_by_id(b, f->type) : NULL;
	if (!p || !btf_is_func_proto(p))
		return NULL;
	*proto = p;
	return f;
}

struct type *sys_kfunc_args(struct sys *s, const char *module, const char *func, bool ret)
{
	struct btf_conv *c = conv_module(s, module);
	const struct btf_type *proto;
	if (!c || !find_func(c->btf, func, &proto))
		return NULL;
	struct type *r = type_record(arena_printf("struct %s:%s:%s_args",
						   ret ? "kretfunc" : "kfunc",
						   module ? module : "vmlinux",
						   func));
	VEC(struct field) fields = { 0 };
	uint32_t slot = 0;
	const struct btf_param *p = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++, p++) {
		if (!p->type) /* varargs */
			break;
		struct field f = {
			.name = arena_strdup(btf__name_by_offset(c->btf, p->name_off)),
			.offset = slot * 8,
			.type = conv_type(c, p->type, 0, true),
		};
		slot += f.type->size > 8 ? (f.type->size + 7) / 8 : 1;
		VEC_PUSH(&fields, f);
	}
	if (ret && proto->type) {
		struct field f = { .name = KFUNC_RETVAL, .offset = slot * 8,
				   .type = conv_type(c, proto->type, 0, true) };
		slot++;
		VEC_PUSH(&fields, f);
	}
	r->fields = fields.v;
	r->nfields = (uint32_t)fields.n;
	r->size = slot * 8;
	r->align = 8;
	r->incomplete = false;
	r->is_funcarg = true;
	r->as = AS_KERNEL;
	return r;
}

/* The functions of one BTF (vmlinux or a module) that a kfunc can attach
 * to, sorted: FUNC records with a prototype of at most 6 parameters (the
 * argument registers), as bpftrace v0.20 lists them.  Compiler clones
 * (.isra.0, .constprop.0, ...) have no BTF and are not among them. */
struct btf_funcs {
	const char *module;
	strvec names;
};

static const strvec *btf_funcs(struct sys *s, const char *module)
{
	const char *mod = module ? module : "vmlinux";
	for (size_t i = 0; i < s->btf_funcs.n; i++)
		if (!strcmp(s->btf_funcs.v[i]->module, mod))
			return &s->btf_funcs.v[i]->names;
	struct btf_funcs *f = ARENA_NEW(struct btf_funcs);
	f->module = arena_strdup(mod);
	VEC_PUSH(&s->btf_funcs, f);
	struct btf_conv *c = conv_module(s, mod);
	if (!c)
		return &f->names;
	const struct btf *base = btf__base_btf(c->btf);
	__u32 n = btf__type_cnt(c->btf);
	for (__u32 id = base ? btf__type_cnt(base) : 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(c->btf, id);
		if (!t || !btf_is_func(t))
			continue;
		const struct btf_type *p = btf__type_by_id(c->btf, t->type);
		if (!p || !btf_is_func_proto(p) || btf_vlen(p) > 6)
			continue;
		VEC_PUSH(&f->names, btf__name_by_offset(c->btf, t->name_off));
	}
	sys_sort_unique(&f->names);
	return &f->names;
}

static bool has_btf_func(struct sys *s, const char *module, const char *func)
{
	return sys_sorted_has(btf_funcs(s, module), func);
}

bool sys_expand_kfunc(struct sys *s, const struct attach_point *ap,
		      apvec *out, struct diags *d, struct loc loc,
		      unsigned flags)
{
	const char *func = ap->func ? ap->func : "";
	const char *mod = ap->target && *ap->target ? ap->target : NULL;
	bool listing = flags & SYS_X_LISTING;
	if (!ap_has_wildcard(func) && (!mod || !ap_has_wildcard(mod))) {
		if (!mod) {
			/* the module comes from available_filter_functions;
			 * without it (no ftrace: no kfunc either) it is the
			 * default, and the 5 MB kallsyms need not be read */
			strvec mods = { 0 };
			if (sys_kfunc_supported(s))
				sys_kernel_func_modules(s, func, &mods);
			if (mods.n > 1 && !listing) {
				diag_error(d, loc,
					   "ambiguous attach point, please specify module containing the function '%s'",
					   func);
				return false;
			}
			if (mods.n > 1) {
				mod = "*";
				goto wild;
			}
			mod = mods.n ? mods.v[0] : "vmlinux";
			if (listing && !mods.n)
				return true;
		}
		struct attach_point *c = sys_ap_copy(ap);
		c->target = mod;
		VEC_PUSH(out, c);
		sys_btf_use_module(s, mod);
		return true;
	}
wild:;
	strvec matches = { 0 };
	sys_kernel_mod_funcs(s, arena_printf("%s:%s", mod ? mod : "*", func),
			     &matches);
	for (size_t i = 0; i < matches.n; i++) {
		const char *colon = strchr(matches.v[i], ':');
		const char *m = arena_strndup(matches.v[i],
					      (size_t)(colon - matches.v[i]));
		/* a wildcard gives only what can be attached */
		if (!has_btf_func(s, m, colon + 1))
			continue;
		struct attach_point *c = sys_ap_copy(ap);
		c->target = m;
		c->func = colon + 1;
		VEC_PUSH(out, c);
		sys_btf_use_module(s, c->target);
	}
	return true;
}

/* Iterator names, sorted: X such that BTF has both the context struct
 * "bpf_iter__X" and the target function "bpf_iter_X" (which tells real
 * iterator targets from helper structs like bpf_iter__task__safe_trusted). */
static void iter_names(struct sys *s, strvec *out)
{
	struct btf *b = sys_btf(s);
	if (!b)
		return;
	__u32 n = btf__type_cnt(b);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (!t || !btf_is_struct(t))
			continue;
		const char *name = btf__name_by_offset(b, t->name_off);
		if (!name || strncmp(name, "bpf_iter__", 10) || !name[10])
			continue;
		if (btf__find_by_name_kind(b, arena_printf("bpf_iter_%s", name + 10),
					   BTF_KIND_FUNC) > 0)
			VEC_PUSH(out, name + 10);
	}
	sys_sort_unique(out);
}

bool sys_expand_iter(struct sys *s, const struct attach_point *ap,
		     apvec *out, struct diags *d, struct loc loc, unsigned flags)
{
	const char *name = ap->target ? ap->target : "";
	strvec names = { 0 };
	iter_names(s, &names);
	bool wild = ap_has_wildcard(name);
	for (size_t i = 0; i < names.n; i++) {
		if (wild ? !ap_glob_match(name, names.v[i])
			 : strcmp(name, names.v[i]) != 0)
			continue;
		struct attach_point *c = sys_ap_copy(ap);
		c->target = names.v[i];
		VEC_PUSH(out, c);
		if (!wild)
			return true;
	}
	if (!wild && !(flags & SYS_X_LISTING)) {
		diag_error(d, loc, "iter %s not available for your kernel version.",
			   name);
		return false;
	}
	return true;
}

/* ---- C declarations (listing) ---- */

struct strbuf {
	char *buf;
	size_t len, cap;
};

static void sb_vprintf(void *ctx, const char *fmt, va_list ap)
{
	struct strbuf *sb = ctx;
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (sb->len + (size_t)n + 1 > sb->cap) {
		size_t cap = (sb->cap + (size_t)n + 1) * 2;
		char *nb = arena_alloc(cap);
		if (sb->len)
			memcpy(nb, sb->buf, sb->len);
		sb->buf = nb;
		sb->cap = cap;
	}
	vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	sb->len += (size_t)n;
}

/* The C spelling of a BTF type ("struct sock *", "unsigned int"). */
static const char *c_decl(struct btf *b, __u32 id)
{
	struct strbuf sb = { 0 };
	struct btf_dump *dd = btf_dump__new(b, sb_vprintf, &sb, NULL);
	if (!dd)
		return "?";
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = "");
	btf_dump__emit_type_decl(dd, id, &o);
	btf_dump__free(dd);
	return sb.buf ? sb.buf : "void";
}

static void list_params(struct btf *b, const char *func, bool iter, FILE *out)
{
	const struct btf_type *proto;
	if (!find_func(b, func, &proto))
		return;
	const struct btf_param *p = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++, p++) {
		if (iter && i == 0)
			continue; /* struct bpf_iter_meta *meta */
		if (!p->type) {
			fprintf(out, "    ...\n");
			break;
		}
		fprintf(out, "    %s %s\n", c_decl(b, p->type),
			btf__name_by_offset(b, p->name_off));
	}
	if (proto->type && !iter)
		fprintf(out, "    %s retval\n", c_decl(b, proto->type));
}

void sys_btf_list_kfunc(struct sys *s, const char *module, const char *func,
			FILE *out)
{
	struct btf_conv *c = conv_module(s, module);
	if (c)
		list_params(c->btf, func, false, out);
}

void sys_btf_list_iter(struct sys *s, const char *name, FILE *out)
{
	struct btf *b = sys_btf(s);
	if (b)
		list_params(b, arena_printf("bpf_iter_%s", name), true, out);
}

/* `bpftrace -l 'struct x*'`: names (or with -v full definitions) of the
 * BTF structs/unions/enums matching pattern. */
int sys_btf_list_types(struct sys *s, const char *pattern, bool verbose,
		       FILE *out)
{
	struct btf *b = sys_btf(s);
	if (!b)
		return -ENOENT;
	strvec names = { 0 };
	__u32 n = btf__type_cnt(b);
	VEC(__u32) ids = { 0 };
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		const char *kw = NULL;
		switch (t ? btf_kind(t) : 0) {
		case BTF_KIND_STRUCT: kw = "struct"; break;
		case BTF_KIND_UNION: kw = "union"; break;
		case BTF_KIND_ENUM: case BTF_KIND_ENUM64: kw = "enum"; break;
		default: continue;
		}
		const char *name = btf__name_by_offset(b, t->name_off);
		if (!name || !*name)
			continue;
		VEC_PUSH(&names, arena_printf("%s %s", kw, name));
		VEC_PUSH(&ids, id);
	}
	strvec matches = { 0 };
	const char *star = strchr(pattern, '*');
	size_t plen = star ? (size_t)(star - pattern) : strlen(pattern);
	const char *vpat = arena_printf("%s *{*}*", pattern);
	for (size_t i = 0; i < names.n; i++) {
		if (!verbose) {
			if (ap_glob_match(pattern, names.v[i]))
				VEC_PUSH(&matches, names.v[i]);
			continue;
		}
		/* the definition starts with "<name> {": cheap prefix test */
		const char *head = arena_printf("%s {", names.v[i]);
		if (strncmp(head, pattern, plen < strlen(head) ? plen : strlen(head)) ||
		    plen > strlen(head))
			continue;
		struct strbuf sb = { 0 };
		struct btf_dump *dd = btf_dump__new(b, sb_vprintf, &sb, NULL);
		if (!dd)
			continue;
		btf_dump__dump_type(dd, ids.v[i]);
		btf_dump__free(dd);
		const char *def = sb.buf ? sb.buf : "";
		/* dependencies come first: find our own definition */
		const char *text = NULL;
		for (const char *p = def; (p = strstr(p, head)); p++)
			if (p == def || p[-1] == '\n')
				text = p;
		if (!text)
			continue;
		size_t n = strlen(text);
		while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
			n--;
		text = arena_strndup(text, n);
		if (ap_glob_match(vpat, text))
			VEC_PUSH(&matches, text);
	}
	sys_sort_unique(&matches);
	/* bpftrace keeps a definition's last newline and prints a line
	 * after it: a blank line follows each definition */
	for (size_t i = 0; i < matches.n; i++)
		fprintf(out, verbose ? "%s\n\n" : "%s\n", matches.v[i]);
	return 0;
}

/* ---- C definitions of kernel types (for clang) ---- */

/* "struct x", "union x", "enum x" or the bare name of a named BTF type. */
static const char *full_name(struct btf *b, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(b, t->name_off);
	if (!n || !*n)
		return NULL;
	if (btf_is_struct(t))
		return arena_printf("struct %s", n);
	if (btf_is_union(t))
		return arena_printf("union %s", n);
	if (btf_is_enum(t) || btf_is_enum64(t))
		return arena_printf("enum %s", n);
	return n;
}

static int name_index(const char *const *names, size_t n, const bool *done, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!done[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

const char *sys_btf_c_defs(struct sys *s, const char *const *names, size_t n)
{
	struct btf *b = n ? sys_btf(s) : NULL;
	if (!b)
		return "";
	struct strbuf sb = { 0 };
	struct btf_dump *dd = btf_dump__new(b, sb_vprintf, &sb, NULL);
	if (!dd)
		return "";
	bool *done = ARENA_ARRAY(bool, n);
	size_t left = n;
	__u32 cnt = btf__type_cnt(b);
	for (__u32 id = 1; id < cnt && left; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		int hit = -1;
		if (btf_is_enum(t)) {
			/* an enumerator's name brings its whole enum */
			const struct btf_enum *e = btf_enum(t);
			for (int i = 0; i < btf_vlen(t) && hit < 0; i++, e++)
				hit = name_index(names, n, done,
						 btf__name_by_offset(b, e->name_off));
		}
		if (hit < 0)
			hit = name_index(names, n, done, full_name(b, t));
		if (hit < 0)
			continue;
		btf_dump__dump_type(dd, id);
		done[hit] = true;
		left--;
	}
	btf_dump__free(dd);
	return sb.buf ? sb.buf : "";
}
