/* target_check.c - before anything is loaded: can this kernel run the
 * object correctly?  (ir-spec/obj.md "Target", bt-load(8) "TARGET CHECKS")
 *
 * An object may come from a build host with another kernel.  Reads of
 * kernel records are CO-RE relocated by libbpf; what is checked here is
 * everything else, each failure one line (with the source position where
 * the program has one), before a map or program is created:
 *   - features and targets the probes need: fentry for kfunc/kretfunc
 *     (and the function in this kernel's BTF), the tracepoints whose
 *     fields the program reads (a kernel without kprobes fails at attach
 *     with bpftrace's message);
 *   - the relocated fields (meta.target.core_fields) exist on this kernel
 *     with the size the program reads (libbpf's own failure would name
 *     an instruction, not the source);
 *   - the tracepoint format fields the program reads have the offset and
 *     size they had where it was compiled (formats are not relocatable),
 *     and the kfunc arguments it reads are at the same positions;
 *   - the binaries uprobes and USDT probes attach to are the builds the
 *     offsets and argument specs were taken from (GNU build id);
 *   - an object that uses a kernel layout without relocation
 *     (meta.target.fixed_layout) runs only on the kernel it was built for.
 * On another kernel than the compile one it says so in one warning.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "arena.h"
#include "kernel_id.h"
#include "load.h"
#include "tracefs.h"

struct tc {
	struct bt *bt;
	struct btf *btf;        /* this kernel's vmlinux BTF, loaded on first use */
	bool btf_tried;
	const char *release;    /* uname -r */
	int fentry;             /* -1 unknown, 0 no, 1 yes */
};

static struct btf *tc_btf(struct tc *c)
{
	if (!c->btf_tried) {
		c->btf_tried = true;
		c->btf = btf__load_vmlinux_btf(); /* NULL when absent */
	}
	return c->btf;
}

/* An error at a source position, rendered as bpftrace renders them. */
static void error_at(struct tc *c, struct loc loc, const char *msg)
{
	struct diag dg = { .level = DIAG_ERROR, .loc = loc, .msg = msg };
	if (loc.line > 0 && c->bt->src.text)
		diag_render(stderr, &c->bt->src, &dg);
	else
		bt_error("%s", msg);
}

/* ---- features ---- */

static bool fentry_loads(int func_id)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = (__u32)func_id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A kernel function to aim the fentry test at: a long-lived one, else the
 * first function BTF describes. */
static int fentry_test_target(const struct btf *b)
{
	int id = btf__find_by_name_kind(b, "vfs_read", BTF_KIND_FUNC);
	for (__u32 i = 1; id <= 0 && i < btf__type_cnt(b); i++)
		if (btf_is_func(btf__type_by_id(b, i)))
			id = (int)i;
	return id;
}

static bool check_kfunc(struct tc *c, const struct meta_attach *m)
{
	struct btf *b = tc_btf(c);
	if (!b) {
		bt_error("%s: this kernel has no BTF (/sys/kernel/btf/vmlinux), needed by kfunc",
			 m->name);
		return false;
	}
	if (c->fentry < 0) {
		int id = fentry_test_target(b);
		c->fentry = id > 0 && fentry_loads(id);
	}
	if (!c->fentry) {
		bt_error("%s: this kernel has no fentry support", m->name);
		return false;
	}
	/* a module's function is in the module's BTF: libbpf finds it */
	bool in_vmlinux = !m->ap->target || !*m->ap->target || !strcmp(m->ap->target, "vmlinux");
	if (in_vmlinux && btf__find_by_name_kind(b, m->ap->func, BTF_KIND_FUNC) <= 0) {
		bt_error("%s: this kernel has no function %s (not in its BTF)", m->name,
			 m->ap->func);
		return false;
	}
	return true;
}

/* ---- tracepoint formats ---- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* In a format file, the line "field:TYPE NAME[N];\toffset:O;\tsize:S;..."
 * of field name: its offset and size. */
static bool format_field(const char *fmt, const char *name, uint32_t *off, uint32_t *size)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(fmt, "field:"); p; p = strstr(p + 1, "field:")) {
		const char *semi = strchr(p, ';');
		if (!semi)
			return false;
		const char *end = semi;
		const char *br = memchr(p, '[', (size_t)(semi - p));
		if (br)
			end = br;
		const char *start = end;
		while (start > p && start[-1] != ' ' && start[-1] != '\t' && start[-1] != '*')
			start--;
		if ((size_t)(end - start) != nl || strncmp(start, name, nl) != 0)
			continue;
		const char *o = strstr(semi, "offset:"), *s = strstr(semi, "size:");
		if (!o || !s)
			return false;
		*off = (uint32_t)strtoul(o + 7, NULL, 10);
		*size = (uint32_t)strtoul(s + 5, NULL, 10);
		return true;
	}
	return false;
}

static bool check_tracepoint(const struct meta_layout *tp)
{
	const char *root = tracefs_root(true);
	if (!root)
		return true; /* attaching will say what is wrong */
	const char *colon = strchr(tp->name, ':');
	if (!colon)
		return true;
	char *fmt = read_text(arena_printf("%s/events/%.*s/%s/format", root,
					   (int)(colon - tp->name), tp->name, colon + 1));
	if (!fmt) {
		bt_error("tracepoint:%s: no such tracepoint on this kernel", tp->name);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < tp->fields.n && ok; i++) {
		const struct meta_layout_field *f = &tp->fields.v[i];
		uint32_t off, size;
		if (!format_field(fmt, f->name, &off, &size)) {
			bt_error("tracepoint:%s: this kernel's format has no field '%s'", tp->name,
				 f->name);
			ok = false;
		} else if (off != f->offset || size != f->size) {
			bt_error("tracepoint:%s: field '%s' is at offset %u, size %u on this kernel; "
				 "the object was compiled for offset %u, size %u",
				 tp->name, f->name, off, size, f->offset, f->size);
			ok = false;
		}
	}
	free(fmt);
	return ok;
}

/* ---- kfunc argument slots ---- */

/* kfunc `args.NAME` reads context slot offset/8: the parameter's index in
 * the function's prototype (`$retval` after the last one).  A function
 * whose parameters moved would silently give another argument. */
static bool check_kfunc_args(struct tc *c, const struct meta_layout *k)
{
	const char *colon = strchr(k->name, ':');
	const char *fn = colon ? colon + 1 : k->name;
	if (colon && strncmp(k->name, "vmlinux:", 8))
		return true; /* a module's function: its BTF is not checked here */
	struct btf *b = tc_btf(c);
	int id = b ? btf__find_by_name_kind(b, fn, BTF_KIND_FUNC) : -1;
	const struct btf_type *proto = id > 0 ? btf__type_by_id(b, btf__type_by_id(b, id)->type)
					      : NULL;
	if (!proto || !btf_is_func_proto(proto))
		return true; /* check_kfunc reported it */
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto);
	for (size_t i = 0; i < k->fields.n; i++) {
		const struct meta_layout_field *f = &k->fields.v[i];
		int at = -1;
		if (!strcmp(f->name, "$retval"))
			at = n;
		for (int j = 0; j < n && at < 0; j++)
			if (!strcmp(btf__name_by_offset(b, p[j].name_off), f->name))
				at = j;
		if (at < 0) {
			bt_error("kfunc:%s: this kernel's %s has no parameter '%s'", k->name, fn,
				 f->name);
			return false;
		}
		if ((uint32_t)at * 8 != f->offset) {
			bt_error("kfunc:%s: '%s' is argument %d of %s on this kernel, %u where the "
				 "object was compiled", k->name, f->name, at, fn, f->offset / 8);
			return false;
		}
	}
	return true;
}

/* ---- relocated fields ---- */

static const struct btf_type *resolved(const struct btf *b, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	for (int i = 0; i < 32 && t && (btf_is_mod(t) || btf_is_typedef(t)); i++)
		t = btf__type_by_id(b, t->type);
	return t;
}

/* Member name of composite t (also inside anonymous members, as libbpf
 * matches them); its byte size (0 for bit-fields and records). */
static bool find_member(const struct btf *b, const struct btf_type *t, const char *name,
			uint32_t *size, int depth)
{
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(b, m->name_off);
		const struct btf_type *mt = resolved(b, m->type);
		if ((!mn || !*mn) && mt && btf_is_composite(mt) && depth < 32) {
			if (find_member(b, mt, name, size, depth + 1))
				return true;
			continue;
		}
		if (mn && !strcmp(mn, name)) {
			*size = 0;
			if (mt && !btf_member_bitfield_size(t, i) &&
			    (btf_is_int(mt) || btf_is_any_enum(mt) || btf_is_ptr(mt)))
				*size = btf_is_ptr(mt) ? 8 : mt->size;
			return true;
		}
	}
	return false;
}

static bool has_enumerator(const struct btf *b, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(b, type, BTF_KIND_ENUM);
	if (id <= 0)
		id = btf__find_by_name_kind(b, type, BTF_KIND_ENUM64);
	const struct btf_type *t = id > 0 ? btf__type_by_id(b, (__u32)id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++) {
		__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
		if (!strcmp(btf__name_by_offset(b, off), name))
			return true;
	}
	return false;
}

static bool check_core_field(struct tc *c, const struct meta_core_field *f)
{
	if (strstr(f->record, "(anonymous"))
		return true; /* reached through a named record: libbpf follows it */
	struct btf *b = tc_btf(c);
	if (!b) {
		error_at(c, f->loc, arena_printf("this kernel has no BTF (/sys/kernel/btf/vmlinux): "
						 "%s cannot be read", f->record));
		return false;
	}
	if (!strncmp(f->record, "enum ", 5)) {
		if (has_enumerator(b, f->record + 5, f->field))
			return true;
		error_at(c, f->loc, arena_printf("%s has no value %s on this kernel (Linux %s)",
						 f->record, f->field, c->release));
		return false;
	}
	bool is_union = !strncmp(f->record, "union ", 6);
	const char *name = strchr(f->record, ' ') ? strchr(f->record, ' ') + 1 : f->record;
	int id = btf__find_by_name_kind(b, name, is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
	if (id <= 0) {
		error_at(c, f->loc, arena_printf("%s does not exist on this kernel (Linux %s)",
						 f->record, c->release));
		return false;
	}
	uint32_t size = 0;
	if (!find_member(b, btf__type_by_id(b, (__u32)id), f->field, &size, 0)) {
		error_at(c, f->loc,
			 arena_printf("Struct/union of type '%s' does not contain a field named "
				      "'%s' on this kernel (Linux %s)",
				      f->record, f->field, c->release));
		return false;
	}
	if (f->size && size && size != f->size) {
		error_at(c, f->loc,
			 arena_printf("field '%s' of %s is %u bytes on this kernel (Linux %s), "
				      "%u where the program was compiled",
				      f->field, f->record, size, c->release, f->size));
		return false;
	}
	return true;
}

/* ---- traced binaries ---- */

/* Hex GNU build id of the ELF file at path (arena), NULL if it has none
 * or cannot be read. */
static const char *build_id(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const char *hex = NULL;
	Elf_Scn *scn = NULL;
	while (elf && !hex && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		GElf_Nhdr nh;
		size_t off = 0, no, doff;
		while (data && !hex && (off = gelf_getnote(data, off, &nh, &no, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + no, "GNU", 4) != 0)
				continue;
			const unsigned char *b = (const unsigned char *)data->d_buf + doff;
			char *h = arena_alloc(nh.n_descsz * 2 + 1);
			for (size_t i = 0; i < nh.n_descsz; i++)
				sprintf(h + 2 * i, "%02x", b[i]);
			hex = h;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return hex;
}

static bool check_binary(const struct meta_binary *b)
{
	const char *here = build_id(b->path);
	if (!here)
		return true; /* absent or unreadable: attaching says so */
	if (!strcmp(here, b->build_id))
		return true;
	bt_error("%s is not the build the program was compiled for (build id %s, compiled "
		 "for %s): its probe offsets and USDT arguments would be wrong",
		 b->path, here, b->build_id);
	return false;
}

/* Is this the kernel the object was compiled for?  The same release and
 * a BTF of the same size count as the same build (hashing the BTF at
 * every start would cost more than the whole check). */
static bool same_kernel(struct tc *c, const struct meta_target *t)
{
	if (!t->release || !c->release || strcmp(t->release, c->release))
		return false;
	if (!t->btf)
		return true;
	struct stat st;
	if (stat("/sys/kernel/btf/vmlinux", &st) != 0)
		return false;
	return strtoull(t->btf, NULL, 10) == (unsigned long long)st.st_size;
}

/* The very build the object's kernel types came from (kernel_id.h). */
static bool same_build(const struct meta_target *t)
{
	const char *here = t->kernel_build_id ? kernel_build_id() : NULL;
	return here && !strcmp(here, t->kernel_build_id);
}

int target_check(struct bt *bt)
{
	struct utsname u;
	struct tc c = { .bt = bt, .fentry = -1 };
	c.release = uname(&u) == 0 ? arena_strdup(u.release) : "unknown";
	const struct meta_target *t = &bt->meta.target;
	bool same = same_kernel(&c, t);
	bool ok = true;

	if (!same && t->fixed_layout) {
		error_at(&c, t->fixed_loc,
			 arena_printf("a kernel record kept by value cannot be relocated: this "
				      "object runs only on the kernel it was compiled for (Linux %s, "
				      "BTF %s), not on this one (Linux %s); compile it here",
				      t->release ? t->release : "unknown",
				      t->btf ? t->btf : "unknown", c.release));
		return -1;
	}
	for (size_t p = 0; p < bt->meta.probes.n && ok; p++) {
		const struct meta_probe *mp = &bt->meta.probes.v[p];
		for (uint32_t a = 0; a < mp->nattach && ok; a++) {
			const struct meta_attach *m = &mp->attach[a];
			if (!m->ap)
				continue;
			switch (mp->type) {
			case PT_KFUNC: case PT_KRETFUNC:
				ok = check_kfunc(&c, m);
				break;
			default:
				break;
			}
		}
	}
	for (size_t i = 0; i < t->binaries.n && ok; i++)
		ok = check_binary(&t->binaries.v[i]);
	if (ok && !same) {
		for (size_t i = 0; i < t->tracepoints.n && ok; i++)
			ok = check_tracepoint(&t->tracepoints.v[i]);
		for (size_t i = 0; i < t->kfuncs.n && ok; i++)
			ok = check_kfunc_args(&c, &t->kfuncs.v[i]);
		for (size_t i = 0; i < t->core_fields.n && ok; i++)
			ok = check_core_field(&c, &t->core_fields.v[i]);
		if (ok && t->release)
			bt_warn(bt, "compiled for Linux %s, running on Linux %s: kernel-type reads "
				"relocated (CO-RE), tracepoint formats checked",
				t->release, c.release);
	}
	bool dropped = false;
	for (uint32_t i = 0; ok && same && same_build(t) && i < bt->nparts; i++)
		dropped |= core_drop_relocations(bt->parts[i].elf, bt->parts[i].size);
	if (dropped && bt->o.verbose)
		fprintf(stderr, "compiled against this kernel build (%s): no CO-RE relocation\n",
			t->kernel_build_id);
	btf__free(c.btf);
	return ok ? 0 : -1;
}
