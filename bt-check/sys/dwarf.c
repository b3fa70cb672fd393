/* dwarf.c - uprobe `args`, -lv parameters and user struct types from
 * DWARF (libdw).
 *
 * A function's parameters are kept as lines "<index>\t<name>\t<C type>\t
 * <encoded type>" — the lines a snapshot records under
 * dwarf/<path>/funcs/<function> ("none": the binary has no DWARF).  A
 * named type (for `struct Foo` behind a uprobe argument or in a cast) is
 * one encoded line under dwarf/<path>/types/<name> ("none": not there).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "sys_int.h"

#define MAX_DEPTH 16

/* ---- a compact text form of struct type (for snapshots) ----
 *   n            none
 *   i<bits>; u<bits>;  integers
 *   p<T>         pointer
 *   s<n>;        string[n]
 *   a<n>;<T>     array
 *   r<size>;<name>;   record known by name
 *   R<size>;<align>;<nfields>;<name>;{<fname>;<off>;<boff>;<bwidth>;<T>}...
 */
static void enc(const struct type *t, char **buf, size_t *len, size_t *cap)
{
	char tmp[64];
	const char *s = tmp;
	switch (t->kind) {
	case TY_INT:
		snprintf(tmp, sizeof tmp, "%c%u;", t->is_signed ? 'i' : 'u',
			 t->bits);
		break;
	case TY_PTR:
		tmp[0] = 'p';
		tmp[1] = 0;
		break;
	case TY_STRING:
		snprintf(tmp, sizeof tmp, "s%u;", t->size);
		break;
	case TY_ARRAY:
		snprintf(tmp, sizeof tmp, "a%u;", t->count);
		break;
	case TY_RECORD:
		s = t->incomplete || !t->nfields
			    ? arena_printf("r%u;%s;", t->size, t->name)
			    : arena_printf("R%u;%u;%u;%s;", t->size, t->align,
					   t->nfields, t->name);
		break;
	default:
		s = "n";
	}
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap + n + 1) * 2;
		char *nb = arena_alloc(nc);
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	if (t->kind == TY_PTR || t->kind == TY_ARRAY)
		enc(t->elem, buf, len, cap);
	if (t->kind == TY_RECORD && !t->incomplete)
		for (uint32_t i = 0; i < t->nfields; i++) {
			const struct field *f = &t->fields[i];
			char *h = arena_printf("%s;%u;%u;%u;", f->name, f->offset,
					       f->bit_offset, f->bit_width);
			size_t hn = strlen(h);
			if (*len + hn + 1 > *cap) {
				size_t nc = (*cap + hn + 1) * 2;
				char *nb = arena_alloc(nc);
				memcpy(nb, *buf, *len);
				*buf = nb;
				*cap = nc;
			}
			memcpy(*buf + *len, h, hn + 1);
			*len += hn;
			enc(f->type, buf, len, cap);
		}
}

static const char *type_encode(const struct type *t)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	enc(t, &buf, &len, &cap);
	return buf ? buf : "n";
}

/* Snapshot files may be hand-written or damaged: decoding never fails
 * hard, it yields "" / 0 / none for whatever is malformed. */
static const char *dec_str(const char **p)
{
	const char *semi = strchr(*p, ';');
	if (!semi) {
		*p += strlen(*p);
		return "";
	}
	const char *s = arena_strndup(*p, (size_t)(semi - *p));
	*p = semi + 1;
	return s;
}

static unsigned dec_num(const char **p)
{
	char *end;
	unsigned long v = strtoul(*p, &end, 10);
	*p = *end == ';' ? end + 1 : end;
	return (unsigned)v;
}

static struct type *type_decode(const char **p, int depth)
{
	if (depth > 64 || !**p)
		return type_none();
	char c = *(*p)++;
	switch (c) {
	case 'i': case 'u': {
		unsigned bits = dec_num(p);
		if (bits != 8 && bits != 16 && bits != 32 && bits != 64 &&
		    bits != 1)
			return type_none();
		return type_int((int)bits, c == 'i');
	}
	case 'p':
		return type_ptr(type_decode(p, depth + 1), AS_NONE);
	case 's':
		return type_string(dec_num(p));
	case 'a': {
		unsigned n = dec_num(p);
		return type_array(type_decode(p, depth + 1), n);
	}
	case 'r': {
		unsigned size = dec_num(p);
		const char *name = dec_str(p);
		struct type *r = type_record(*name ? name : "struct ?");
		r->size = size;
		return r;
	}
	case 'R': {
		unsigned size = dec_num(p), align = dec_num(p), n = dec_num(p);
		const char *name = dec_str(p);
		if (n > strlen(*p) / 5) /* each field takes at least 5 bytes */
			n = 0;
		struct type *r = type_record(*name ? name : "struct ?");
		r->size = size;
		r->align = align;
		r->incomplete = false;
		r->nfields = n;
		r->fields = ARENA_ARRAY(struct field, n);
		for (unsigned i = 0; i < n; i++) {
			struct field *f = &r->fields[i];
			f->name = dec_str(p);
			f->offset = dec_num(p);
			f->bit_offset = (uint16_t)dec_num(p);
			f->bit_width = (uint16_t)dec_num(p);
			f->type = type_decode(p, depth + 1);
		}
		return r;
	}
	default:
		return type_none();
	}
}

/* ---- DWARF ---- */

static bool die_type(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, out);
}

static uint64_t die_size(Dwarf_Die *d)
{
	Dwarf_Word w;
	return dwarf_aggregate_size(d, &w) == 0 ? w : 0;
}

static const char *dw_name(Dwarf_Die *d)
{
	const char *n = dwarf_diename(d);
	return n ? n : "";
}

/* bpftrace's spelling of a DWARF type in -lv ("int*", "struct Foo*"). */
static const char *dw_type_name(Dwarf_Die *d, int depth)
{
	Dwarf_Die inner;
	bool has = die_type(d, &inner);
	if (depth > MAX_DEPTH)
		return "?";
	switch (dwarf_tag(d)) {
	case DW_TAG_pointer_type:
		return has ? arena_printf("%s*", dw_type_name(&inner, depth + 1))
			   : "void*";
	case DW_TAG_const_type:
		return arena_printf("const %s",
				    has ? dw_type_name(&inner, depth + 1) : "void");
	case DW_TAG_volatile_type:
		return arena_printf("volatile %s",
				    has ? dw_type_name(&inner, depth + 1) : "void");
	case DW_TAG_structure_type:
		return arena_printf("struct %s", dw_name(d));
	case DW_TAG_union_type:
		return arena_printf("union %s", dw_name(d));
	case DW_TAG_enumeration_type:
		return arena_printf("enum %s", dw_name(d));
	case DW_TAG_array_type: {
		Dwarf_Die child;
		Dwarf_Word n = 0;
		if (dwarf_child(d, &child) == 0) {
			Dwarf_Attribute a;
			Dwarf_Word ub;
			if (dwarf_attr(&child, DW_AT_count, &a) &&
			    dwarf_formudata(&a, &n) == 0)
				;
			else if (dwarf_attr(&child, DW_AT_upper_bound, &a) &&
				 dwarf_formudata(&a, &ub) == 0)
				n = ub + 1;
		}
		return arena_printf("%s[%llu]",
				    has ? dw_type_name(&inner, depth + 1) : "?",
				    (unsigned long long)n);
	}
	default:
		return dw_name(d);
	}
}

static struct type *dw_type(Dwarf_Die *d, int depth, bool by_value);

static struct type *dw_record(Dwarf_Die *d, int depth)
{
	const char *kw = dwarf_tag(d) == DW_TAG_union_type ? "union" : "struct";
	struct type *r = type_record(arena_printf("%s %s", kw, dw_name(d)));
	r->size = (uint32_t)die_size(d);
	VEC(struct field) fields = { 0 };
	Dwarf_Die child;
	uint32_t align = 1;
	if (dwarf_child(d, &child) == 0) {
		do {
			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			Dwarf_Die mt;
			struct field f = { .name = arena_strdup(dw_name(&child)) };
			f.type = die_type(&child, &mt)
					 ? dw_type(&mt, depth + 1, true)
					 : type_none();
			Dwarf_Attribute a;
			Dwarf_Word off = 0;
			if (dwarf_attr(&child, DW_AT_data_member_location, &a))
				dwarf_formudata(&a, &off);
			f.offset = (uint32_t)off;
			Dwarf_Word bs, bo;
			if (dwarf_attr(&child, DW_AT_bit_size, &a) &&
			    dwarf_formudata(&a, &bs) == 0) {
				f.bit_width = (uint16_t)bs;
				if (dwarf_attr(&child, DW_AT_data_bit_offset, &a) &&
				    dwarf_formudata(&a, &bo) == 0) {
					uint32_t unit = f.type->size ? f.type->size * 8 : 8;
					f.offset = (uint32_t)(bo / unit * unit / 8);
					f.bit_offset = (uint16_t)(bo % unit);
				}
			}
			uint32_t al = type_alignment(f.type);
			if (al > align)
				align = al;
			VEC_PUSH(&fields, f);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	r->fields = fields.v;
	r->nfields = (uint32_t)fields.n;
	r->align = align;
	r->incomplete = false;
	return r;
}

static struct type *dw_type(Dwarf_Die *d, int depth, bool by_value)
{
	if (depth > MAX_DEPTH)
		return type_none();
	Dwarf_Die inner;
	bool has = die_type(d, &inner);
	switch (dwarf_tag(d)) {
	case DW_TAG_base_type: {
		Dwarf_Attribute a;
		Dwarf_Word encd = 0;
		if (dwarf_attr(d, DW_AT_encoding, &a))
			dwarf_formudata(&a, &encd);
		uint64_t sz = die_size(d);
		if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
			return type_none();
		if (encd == DW_ATE_signed || encd == DW_ATE_signed_char)
			return type_int((int)sz * 8, true);
		if (encd == DW_ATE_unsigned || encd == DW_ATE_unsigned_char ||
		    encd == DW_ATE_boolean)
			return type_int((int)sz * 8, false);
		return type_none();
	}
	case DW_TAG_enumeration_type: {
		uint64_t sz = die_size(d);
		return sz == 1 || sz == 2 || sz == 4 || sz == 8
			       ? type_int((int)sz * 8, false)
			       : type_none();
	}
	case DW_TAG_pointer_type:
		return type_ptr(has ? dw_type(&inner, depth + 1, false)
				    : type_none(),
				AS_USER);
	case DW_TAG_typedef: case DW_TAG_const_type:
	case DW_TAG_volatile_type: case DW_TAG_restrict_type:
		return has ? dw_type(&inner, depth, by_value) : type_none();
	case DW_TAG_structure_type: case DW_TAG_union_type:
		if (!by_value) {
			struct type *r = type_record(arena_printf(
				"%s %s",
				dwarf_tag(d) == DW_TAG_union_type ? "union"
								  : "struct",
				dw_name(d)));
			r->size = (uint32_t)die_size(d);
			return r;
		}
		return dw_record(d, depth);
	case DW_TAG_array_type: {
		uint64_t total = die_size(d);
		struct type *elem = has ? dw_type(&inner, depth + 1, true)
					: type_none();
		uint32_t n = elem->size ? (uint32_t)(total / elem->size) : 0;
		if (elem->kind == TY_INT && elem->size == 1)
			return type_string(n);
		return type_array(elem, n);
	}
	default:
		return type_none();
	}
}

struct find_ctx {
	const char *name;
	Dwarf_Die found;
	bool ok;
};

static int find_cb(Dwarf_Die *die, void *arg)
{
	struct find_ctx *c = arg;
	const char *n = dwarf_diename(die);
	if (!n || strcmp(n, c->name) != 0)
		return DWARF_CB_OK;
	c->found = *die;
	c->ok = true;
	return DWARF_CB_ABORT;
}

/* Parameter lines of func in the DWARF of path; NULL if no DWARF. */
static strvec *dwarf_params_live(const char *path, const char *func)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return NULL;
	}
	strvec *out = ARENA_NEW(strvec);
	struct find_ctx c = { .name = func };
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (!c.ok && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu))
			dwarf_getfuncs(&cu, find_cb, &c, 0);
		off = next;
	}
	if (c.ok) {
		Dwarf_Die child;
		int idx = 0;
		if (dwarf_child(&c.found, &child) == 0) {
			do {
				if (dwarf_tag(&child) != DW_TAG_formal_parameter)
					continue;
				Dwarf_Die t;
				bool has = die_type(&child, &t);
				struct type *ty = has ? dw_type(&t, 0, true)
						      : type_none();
				VEC_PUSH(out, arena_printf(
					"%d\t%s\t%s\t%s", idx++, dw_name(&child),
					has ? dw_type_name(&t, 0) : "void",
					type_encode(ty)));
			} while (dwarf_siblingof(&child, &child) == 0);
		}
	}
	dwarf_end(dw);
	close(fd);
	return out;
}

static const char *dwarf_key(const char *path, const char *kind,
			     const char *name)
{
	return arena_printf("dwarf%s%s/%s/%s", path[0] == '/' ? "" : "/rel/",
			    path, kind, name);
}

/* Parameter lines (see the top of the file); NULL: no DWARF. */
static strvec *dwarf_params(struct sys *s, const char *path, const char *func)
{
	if (strchr(func, '/'))
		return NULL;
	const char *key = dwarf_key(path, "funcs", func);
	strvec *out;
	if (s->sysroot) {
		char *text = sys_snap_read(s, key, NULL);
		if (!text || !strncmp(text, "none", 4))
			return NULL;
		out = ARENA_NEW(strvec);
		sys_split_lines(text, out);
		return out;
	}
	out = dwarf_params_live(path, func);
	if (!out) {
		sys_src_note_full(s, key, "none\n", 5);
		return NULL;
	}
	size_t len = 0;
	for (size_t i = 0; i < out->n; i++)
		len += strlen(out->v[i]) + 1;
	char *buf = arena_alloc(len + 1), *p = buf;
	for (size_t i = 0; i < out->n; i++)
		p += sprintf(p, "%s\n", out->v[i]);
	sys_src_note_full(s, key, buf, len);
	return out;
}

/* Split "idx\tname\tctype\tenc". */
static bool split_param(const char *l, const char **name, const char **ctype,
			const char **encd)
{
	const char *a = strchr(l, '\t');
	const char *b = a ? strchr(a + 1, '\t') : NULL;
	const char *c = b ? strchr(b + 1, '\t') : NULL;
	if (!c)
		return false;
	*name = arena_strndup(a + 1, (size_t)(b - a - 1));
	*ctype = arena_strndup(b + 1, (size_t)(c - b - 1));
	*encd = c + 1;
	return true;
}

struct type *sys_uprobe_args(struct sys *s, const char *path, const char *func)
{
	sys_dwarf_note_binary(s, path);
	strvec *params = dwarf_params(s, path, func);
	if (!params)
		return NULL;
	struct type *r = type_record(arena_printf("struct uprobe:%s:%s_args",
						   path, func));
	r->nfields = (uint32_t)params->n;
	r->fields = ARENA_ARRAY(struct field, params->n ? params->n : 1);
	for (size_t i = 0; i < params->n; i++) {
		const char *name, *ctype, *e;
		if (!split_param(params->v[i], &name, &ctype, &e))
			return NULL;
		r->fields[i].name = name;
		r->fields[i].offset = (uint32_t)i * 8;
		r->fields[i].type = type_decode(&e, 0);
	}
	r->size = (uint32_t)params->n * 8;
	r->align = 8;
	r->incomplete = false;
	r->is_funcarg = true;
	r->as = AS_USER;
	return r;
}

bool sys_dwarf_list_params(struct sys *s, const char *path, const char *func,
			   FILE *out)
{
	strvec *params = dwarf_params(s, path, func);
	if (!params)
		return false;
	for (size_t i = 0; i < params->n; i++) {
		const char *name, *ctype, *e;
		if (split_param(params->v[i], &name, &ctype, &e))
			fprintf(out, "    %s %s\n", ctype, name);
	}
	return true;
}

/* ---- named types of the traced binaries ---- */

void sys_dwarf_note_binary(struct sys *s, const char *path)
{
	for (size_t i = 0; i < s->user_bins.n; i++)
		if (!strcmp(s->user_bins.v[i], path))
			return;
	VEC_PUSH(&s->user_bins, arena_strdup(path));
}

/* A top-level definition named `name` ("struct Foo", "union U", "enum E"
 * or a typedef name) in the DWARF of path, encoded; NULL if absent. */
static const char *dwarf_type_live(const char *path, const char *name)
{
	int tag = DW_TAG_typedef;
	const char *bare = name;
	if (!strncmp(name, "struct ", 7)) {
		tag = DW_TAG_structure_type;
		bare = name + 7;
	} else if (!strncmp(name, "union ", 6)) {
		tag = DW_TAG_union_type;
		bare = name + 6;
	} else if (!strncmp(name, "enum ", 5)) {
		tag = DW_TAG_enumeration_type;
		bare = name + 5;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
	const char *res = NULL;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dw && !res &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				Dwarf_Attribute a;
				if (dwarf_tag(&d) != tag ||
				    strcmp(dw_name(&d), bare) != 0 ||
				    dwarf_attr(&d, DW_AT_declaration, &a))
					continue;
				res = type_encode(dw_type(&d, 0, true));
				break;
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	if (dw)
		dwarf_end(dw);
	close(fd);
	return res;
}

struct type *sys_dwarf_type(struct sys *s, const char *name)
{
	if (strchr(name, '/'))
		return NULL;
	for (size_t i = 0; i < s->user_bins.n; i++) {
		const char *path = s->user_bins.v[i];
		const char *key = dwarf_key(path, "types", name);
		const char *enc;
		if (s->sysroot) {
			enc = sys_snap_read(s, key, NULL);
			if (enc && !strncmp(enc, "none", 4))
				enc = NULL;
		} else {
			enc = dwarf_type_live(path, name);
			const char *rec = enc ? arena_printf("%s\n", enc) : "none\n";
			sys_src_note_full(s, key, rec, strlen(rec));
		}
		if (enc)
			return type_decode(&enc, 0);
	}
	return NULL;
}
