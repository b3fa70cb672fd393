/* tracefs.c - tracepoints: the tracefs event inventory
 * (available_events), tracepoint and rawtracepoint expansion, and the `args`
 * record built from an event's format file (docs/bpftrace-compat.md
 * "Tracepoints").
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"
#include "tracefs.h"

/* The live tracefs root.  Mounting it needs privileges bt-check does not
 * have when the driver runs it: the driver has bt-load mount it first. */
const char *sys_tracefs(struct sys *s)
{
	if (!s->tracefs_probed) {
		s->tracefs_probed = true;
		s->tracefs = tracefs_root(geteuid() == 0);
	}
	return s->tracefs;
}

/* available_events, sorted.  Only the lines used are recorded (by the
 * callers, through sys_event_used). */
static bool sys_events(struct sys *s, strvec **out)
{
	if (!s->events_loaded) {
		s->events_loaded = true;
		char *text;
		if (s->sysroot) {
			text = sys_snap_read(s, "tracefs/available_events", NULL);
		} else {
			const char *root = sys_tracefs(s);
			text = root ? sys_read_file(arena_printf(
					      "%s/available_events", root), NULL)
				    : NULL;
		}
		sys_split_lines(text, &s->events);
		sys_sort_unique(&s->events);
	}
	*out = &s->events;
	return s->events.n > 0;
}

static void event_used(struct sys *s, const char *line)
{
	sys_src_note_line(s, "tracefs/available_events", line);
}

static char *sys_tp_format(struct sys *s, const char *cat, const char *ev)
{
	if (strchr(cat, '/') || strchr(ev, '/') || !strcmp(cat, "..") ||
	    !strcmp(ev, ".."))
		return NULL;
	const char *key = arena_printf("tracefs/events/%s/%s/format", cat, ev);
	const char *root = s->sysroot ? NULL : sys_tracefs(s);
	const char *live = root ? arena_printf("%s/events/%s/%s/format", root,
					       cat, ev)
				: NULL;
	return sys_src_read(s, key, live, NULL);
}

static struct attach_point *tp_ap(const struct attach_point *ap,
				  const char *cat, const char *ev)
{
	struct attach_point *c = sys_ap_copy(ap);
	c->target = arena_strdup(cat);
	c->func = arena_strdup(ev);
	return c;
}

bool sys_expand_tracepoint(struct sys *s, const struct attach_point *ap,
			   apvec *out, struct diags *d, struct loc loc,
			   unsigned flags)
{
	const char *cat = ap->target ? ap->target : "";
	const char *ev = ap->func ? ap->func : "";
	/* a category named like a module may use that module's types */
	sys_btf_use_module(s, cat);
	if (!ap_has_wildcard(cat) && !ap_has_wildcard(ev)) {
		if (sys_tp_format(s, cat, ev)) {
			event_used(s, arena_printf("%s:%s", cat, ev));
			VEC_PUSH(out, tp_ap(ap, cat, ev));
			return true;
		}
		if (flags & SYS_X_LISTING)
			return true;
		bool fatal = !(flags & SYS_X_MULTI);
		diag_add(d, fatal ? DIAG_ERROR : DIAG_WARNING, loc,
			 "tracepoint not found: %s:%s", cat, ev);
		if (strcmp(cat, "syscall") == 0)
			diag_warn(d, loc, "Did you mean syscalls:%s?", ev);
		return !fatal;
	}
	strvec *events;
	sys_events(s, &events);
	const char *pat = arena_printf("%s:%s", cat, ev);
	size_t before = out->n;
	for (size_t i = 0; i < events->n; i++) {
		const char *e = events->v[i];
		if (!ap_glob_match(pat, e))
			continue;
		const char *colon = strchr(e, ':');
		if (!colon)
			continue;
		event_used(s, e);
		VEC_PUSH(out, tp_ap(ap, arena_strndup(e, (size_t)(colon - e)),
				    colon + 1));
	}
	if (out->n == before && !(flags & SYS_X_LISTING)) {
		diag_error(d, loc, "tracepoints not found: %s:%s", cat, ev);
		if (strcmp(cat, "syscall") == 0)
			diag_error(d, loc, "Did you mean syscalls:%s?", ev);
		return false;
	}
	return true;
}

/* Raw tracepoint names: events without their category, minus the
 * per-syscall events (they are not raw tracepoints). */
static void rawtp_names(struct sys *s, strvec *out)
{
	strvec *events;
	sys_events(s, &events);
	for (size_t i = 0; i < events->n; i++) {
		const char *e = events->v[i];
		const char *colon = strchr(e, ':');
		if (!colon)
			continue;
		if (strncmp(e, "syscalls:sys_enter_", 19) == 0 ||
		    strncmp(e, "syscalls:sys_exit_", 18) == 0)
			continue;
		VEC_PUSH(out, colon + 1);
	}
	sys_sort_unique(out);
}

/* Exact names pass through unchecked: bare kernel tracepoints (BTF
 * btf_trace_* only, e.g. pelt_*_tp) are valid raw tracepoints without
 * being events; wildcards match the events, as bpftrace does. */
bool sys_expand_rawtracepoint(struct sys *s, const struct attach_point *ap,
			      apvec *out, struct diags *d, struct loc loc,
			      unsigned flags)
{
	const char *ev = ap->func ? ap->func : "";
	if (!ap_has_wildcard(ev) && !(flags & SYS_X_LISTING)) {
		VEC_PUSH(out, sys_ap_copy(ap));
		return true;
	}
	strvec names = { 0 };
	rawtp_names(s, &names);
	for (size_t i = 0; i < names.n; i++) {
		if (!ap_glob_match(ev, names.v[i]))
			continue;
		struct attach_point *c = sys_ap_copy(ap);
		c->func = names.v[i];
		VEC_PUSH(out, c);
	}
	/* record which events answered (category included) */
	strvec *events;
	sys_events(s, &events);
	for (size_t i = 0; i < events->n; i++) {
		const char *colon = strchr(events->v[i], ':');
		if (colon && ap_glob_match(ev, colon + 1))
			event_used(s, events->v[i]);
	}
	return true;
}

/* ---- the args record ---- */

struct tp_field {
	const char *decl;     /* text between "field:" and ';' */
	unsigned offset, size;
	int is_signed;        /* -1: not given */
};

/* Parse one format line; false if it is not a field line. */
static bool parse_field_line(const char *line, struct tp_field *f)
{
	const char *fp = strstr(line, "field:");
	if (!fp)
		return false;
	const char *semi = strchr(fp, ';');
	if (!semi)
		return false;
	const char *op = strstr(semi, "offset:");
	if (!op || !strchr(op, ';'))
		return false;
	const char *sp = strstr(strchr(op, ';'), "size:");
	if (!sp || !strchr(sp, ';'))
		return false;
	f->decl = arena_strndup(fp + 6, (size_t)(semi - fp - 6));
	f->offset = (unsigned)strtoul(op + 7, NULL, 10);
	f->size = (unsigned)strtoul(sp + 5, NULL, 10);
	const char *sg = strstr(strchr(sp, ';'), "signed:");
	f->is_signed = sg ? atoi(sg + 7) != 0 : -1;
	return true;
}

struct named_int {
	const char *name;
	int bits;
	bool is_signed;
};

/* C base types and the common kernel typedefs seen in format files, so
 * that tracepoints never need BTF for their integer fields. */
static const struct named_int base_ints[] = {
	{ "char", 8, true }, { "signed char", 8, true },
	{ "unsigned char", 8, false }, { "short", 16, true },
	{ "short int", 16, true }, { "signed short", 16, true },
	{ "unsigned short", 16, false }, { "short unsigned int", 16, false },
	{ "unsigned short int", 16, false }, { "int", 32, true },
	{ "signed int", 32, true }, { "signed", 32, true },
	{ "unsigned int", 32, false }, { "unsigned", 32, false },
	{ "long", 64, true }, { "long int", 64, true },
	{ "signed long", 64, true }, { "unsigned long", 64, false },
	{ "long unsigned int", 64, false }, { "unsigned long int", 64, false },
	{ "long long", 64, true }, { "long long int", 64, true },
	{ "unsigned long long", 64, false },
	{ "long long unsigned int", 64, false },
	{ "_Bool", 8, false }, { "bool", 8, false },
	{ "u8", 8, false }, { "s8", 8, true }, { "__u8", 8, false },
	{ "__s8", 8, true }, { "u16", 16, false }, { "s16", 16, true },
	{ "__u16", 16, false }, { "__s16", 16, true }, { "u32", 32, false },
	{ "s32", 32, true }, { "__u32", 32, false }, { "__s32", 32, true },
	{ "u64", 64, false }, { "s64", 64, true }, { "__u64", 64, false },
	{ "__s64", 64, true }, { "__le16", 16, false }, { "__be16", 16, false },
	{ "__le32", 32, false }, { "__be32", 32, false },
	{ "__le64", 64, false }, { "__be64", 64, false },
	{ "size_t", 64, false }, { "ssize_t", 64, true },
	{ "pid_t", 32, true }, { "uid_t", 32, false }, { "gid_t", 32, false },
	{ "umode_t", 16, false }, { "loff_t", 64, true },
	{ "dev_t", 32, false }, { "gfp_t", 32, false },
	{ "sector_t", 64, false }, { "ino_t", 64, false },
	{ "uint8_t", 8, false }, { "uint16_t", 16, false },
	{ "uint32_t", 32, false }, { "uint64_t", 64, false },
	{ "int8_t", 8, true }, { "int16_t", 16, true },
	{ "int32_t", 32, true }, { "int64_t", 64, true },
	{ "dma_addr_t", 64, false }, { "phys_addr_t", 64, false },
	{ "resource_size_t", 64, false }, { "clockid_t", 32, true },
	{ "key_serial_t", 32, true }, { "qid_t", 32, false },
	{ "off_t", 64, true }, { "time64_t", 64, true },
	{ "ktime_t", 64, true }, { "xfs_ino_t", 64, false },
	{ "timer_t", 32, true }, { "mqd_t", 32, true }, { "key_t", 32, true },
	{ "rwf_t", 32, true }, { "aio_context_t", 64, false },
	{ "__kernel_old_time_t", 64, true }, { "uint", 32, false },
	{ "old_uid_t", 16, false }, { "old_gid_t", 16, false },
	{ "vm_flags_t", 64, false }, { "errseq_t", 32, false },
	{ "blk_opf_t", 32, false }, { "gva_t", 64, false },
	{ "gpa_t", 64, false }, { "gfn_t", 64, false }, { "tid_t", 32, false },
	{ "prid_t", 32, false }, { "blkcnt_t", 64, false },
	{ "__kernel_pid_t", 32, true }, { "__kernel_size_t", 64, false },
	{ "__kernel_ssize_t", 64, true }, { "__kernel_loff_t", 64, true },
	{ "__kernel_ulong_t", 64, false }, { "__kernel_long_t", 64, true },
	{ "__kernel_uid32_t", 32, false }, { "__kernel_gid32_t", 32, false },
	{ "__kernel_timer_t", 32, true }, { "__kernel_clockid_t", 32, true },
	{ "__kernel_key_t", 32, true }, { "__kernel_mqd_t", 32, true },
	{ "__kernel_rwf_t", 32, true }, { "__kernel_off_t", 64, true },
};

/* Split a C type into its base name (qualifiers dropped, one blank
 * between words) and its number of '*': "char *const *" -> "char", 2. */
static char *split_type(const char *t, int *ptrs)
{
	static const char *const drop[] = { "const", "volatile", "restrict",
					    "__restrict", "__seg_gs",
					    "__seg_fs", "__user" };
	char *out = arena_alloc(strlen(t) + 1), *o = out;
	*ptrs = 0;
	for (const char *p = t; *p;) {
		if (*p == '*') {
			(*ptrs)++;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '*')
			p++;
		size_t n = (size_t)(p - w);
		bool skip = false;
		for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
			if (strlen(drop[i]) == n && !strncmp(w, drop[i], n))
				skip = true;
		if (skip)
			continue;
		if (o != out)
			*o++ = ' ';
		memcpy(o, w, n);
		o += n;
	}
	*o = 0;
	return out;
}

/* Typedefs that name pointers (syscall arguments). */
static const struct {
	const char *name, *pointee;
} ptr_typedefs[] = {
	{ "cap_user_header_t", "struct __user_cap_header_struct" },
	{ "cap_user_data_t", "struct __user_cap_data_struct" },
};

/* A named C type (no '*'): known integers, records by name, void.
 * Anything else is left to the caller (NULL). */
static struct type *named_type(const char *name)
{
	for (size_t i = 0; i < sizeof base_ints / sizeof base_ints[0]; i++)
		if (strcmp(base_ints[i].name, name) == 0)
			return type_int(base_ints[i].bits,
					base_ints[i].is_signed);
	for (size_t i = 0; i < sizeof ptr_typedefs / sizeof ptr_typedefs[0];
	     i++)
		if (strcmp(ptr_typedefs[i].name, name) == 0)
			return type_ptr(type_record(ptr_typedefs[i].pointee),
					AS_NONE);
	if (strcmp(name, "void") == 0)
		return type_none();
	if (!strncmp(name, "struct ", 7) || !strncmp(name, "union ", 6))
		return type_record(name);
	return NULL;
}

/* bpftrace widens a few 4-byte integer types declared in 8-byte slots
 * (syscall arguments): int -> s64; unsigned int, unsigned, u32, pid_t,
 * uid_t, gid_t -> u64. */
static struct type *adjust_int(const char *name, unsigned size,
			       struct type *t)
{
	if (size != 8)
		return t;
	if (!strcmp(name, "int"))
		return type_int(64, true);
	static const char *const u64s[] = { "unsigned int", "unsigned", "u32",
					    "pid_t", "uid_t", "gid_t" };
	for (size_t i = 0; i < sizeof u64s / sizeof u64s[0]; i++)
		if (!strcmp(name, u64s[i]))
			return type_int(64, false);
	return t;
}

/* Type of a field declaration "T", "T *" with the format's size/sign
 * (used for names we do not know: typedefs and enums of that size).
 * Pointees we do not know become records by name, resolved through
 * sys_kernel_type when (if ever) they are dereferenced. */
static struct type *decl_type(const char *tname, const struct tp_field *f,
			      bool array)
{
	int ptrs;
	const char *base = split_type(tname, &ptrs);
	struct type *t = named_type(base);
	if (ptrs) {
		if (!t)
			t = strncmp(base, "enum ", 5) == 0 ? type_int(32, false)
							    : type_record(base);
		for (int i = 0; i < ptrs; i++)
			t = type_ptr(t, AS_NONE);
		return t;
	}
	if (t && t->kind == TY_RECORD) {
		t->size = f->size;
		return t;
	}
	if (t && t->kind == TY_INT)
		return array ? t : adjust_int(base, f->size, t);
	if (t)
		return t;
	/* enums and unknown typedefs: integers as the kernel describes them */
	bool sgn = f->is_signed > 0 && strncmp(base, "enum ", 5) != 0;
	switch (f->size) {
	case 1: case 2: case 4: case 8:
		return type_int((int)f->size * 8, sgn);
	default:
		return type_none();
	}
}

/* Format structs are C parsed by clang in bpftrace: only arrays of plain
 * `char` are strings; `__u8 daddr_v6[16]`, `unsigned char x[4]` stay
 * integer arrays (BTF differs: any 1-byte int array is a string there). */
static bool is_plain_char(const char *tname)
{
	int ptrs;
	return strcmp(split_type(tname, &ptrs), "char") == 0 && ptrs == 0;
}

struct tp_record_info {
	const struct type *rec;
	VEC(const char *) data_loc;
};

bool sys_tracepoint_data_loc(struct sys *s, const struct type *args,
			     const char *field)
{
	for (size_t i = 0; i < s->tp_infos.n; i++) {
		/* by name: callers may hold a clone of the record */
		if (!args->name || strcmp(s->tp_infos.v[i]->rec->name, args->name))
			continue;
		for (size_t j = 0; j < s->tp_infos.v[i]->data_loc.n; j++)
			if (strcmp(s->tp_infos.v[i]->data_loc.v[j], field) == 0)
				return true;
	}
	return false;
}

static struct type *build_args(struct sys *s, const char *cat, const char *ev,
			       const char *format)
{
	enum addrspace as = strcmp(cat, "syscalls") == 0 ? AS_USER : AS_KERNEL;
	struct type *rec = type_record(arena_printf("struct _tracepoint_%s_%s",
						     cat, ev));
	struct tp_record_info *info = ARENA_NEW(struct tp_record_info);
	info->rec = rec;
	VEC(struct field) fields = { 0 };
	strvec lines = { 0 };
	sys_split_lines(format, &lines);
	unsigned last_end = 0, end = 0, align = 1;
	for (size_t i = 0; i < lines.n; i++) {
		struct tp_field f;
		if (!parse_field_line(lines.v[i], &f))
			continue;
		if (f.offset && last_end && f.offset > last_end) {
			for (unsigned k = last_end; k < f.offset; k++) {
				struct field pad = {
					.name = arena_printf("__pad_%u", k),
					.offset = k,
					.type = type_int(8, true),
				};
				VEC_PUSH(&fields, pad);
			}
		}
		last_end = f.offset + f.size;
		const char *sep = NULL;
		for (const char *p = f.decl; *p; p++)
			if (*p == ' ' || *p == '\t')
				sep = p;
		if (!sep)
			continue;
		const char *tname = arena_strndup(f.decl,
						  (size_t)(sep - f.decl));
		const char *name = sep + 1;
		struct field fl = { .offset = f.offset };
		const char *br = strchr(name, '[');
		if (strstr(tname, "__data_loc")) {
			fl.name = br ? arena_strndup(name, (size_t)(br - name))
				     : arena_strdup(name);
			fl.type = type_int(64, true);
			VEC_PUSH(&info->data_loc, fl.name);
		} else if (br) {
			fl.name = arena_strndup(name, (size_t)(br - name));
			unsigned count = (unsigned)strtoul(br + 1, NULL, 10);
			struct tp_field ef = f;
			if (count)
				ef.size = f.size / count;
			struct type *elem = decl_type(tname, &ef, true);
			if (!count && elem->size)
				count = f.size / elem->size;
			if (is_plain_char(tname))
				fl.type = type_string(count);
			else
				fl.type = type_array(elem, count);
		} else {
			fl.name = arena_strdup(name);
			fl.type = decl_type(tname, &f, false);
		}
		/* a __data_loc field is declared "int" (4-byte aligned) */
		uint32_t a = strstr(tname, "__data_loc") ? 4
							 : type_alignment(fl.type);
		if (a > align)
			align = a;
		if (f.offset + f.size > end)
			end = f.offset + f.size;
		VEC_PUSH(&fields, fl);
	}
	rec->fields = fields.v;
	rec->nfields = (uint32_t)fields.n;
	rec->size = (end + align - 1) / align * align;
	rec->align = align;
	rec->incomplete = false;
	rec->is_tparg = true;
	rec->as = (uint8_t)as;
	VEC_PUSH(&s->tp_infos, info);
	return rec;
}

struct type *sys_tracepoint_args(struct sys *s, const char *category,
				 const char *event)
{
	const char *name = arena_printf("struct _tracepoint_%s_%s", category,
					event);
	for (size_t i = 0; i < s->tp_infos.n; i++)
		if (strcmp(s->tp_infos.v[i]->rec->name, name) == 0)
			return (struct type *)s->tp_infos.v[i]->rec;
	char *fmt = sys_tp_format(s, category, event);
	if (!fmt)
		return NULL;
	return build_args(s, category, event, fmt);
}

/* -lv: the declarations of the event's own fields (after the first blank
 * line of the format file). */
void sys_tp_list_fields(struct sys *s, const char *cat, const char *ev,
			FILE *out)
{
	char *fmt = sys_tp_format(s, cat, ev);
	if (!fmt)
		return;
	const char *p = strstr(fmt, "\n\n");
	if (!p)
		return;
	strvec lines = { 0 };
	sys_split_lines(p + 2, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		const char *fp = strstr(lines.v[i], "field:");
		if (!fp)
			continue;
		const char *semi = strchr(fp, ';');
		if (!semi)
			continue;
		fprintf(out, "    %.*s\n", (int)(semi - fp - 6), fp + 6);
	}
}
