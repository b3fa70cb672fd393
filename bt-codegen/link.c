/* link.c - the object(s) of a shared-mode module (shapes.c).
 *
 * LLVM's object holds one function per distinct block shape, whose maps
 * and per-block integers are ld_imm64 instructions relocated against the
 * undefined symbols __bt_pK, and no maps.  This file writes the BPF object
 * bt-load reads, in one pass over the instances (linear in the program);
 * a program of more maps, programs or sections than CG_OBJECT_* is split
 * into several such objects, each with the maps its programs use
 * (partition(), ir-spec/obj.md "Several objects").  Per object:
 *
 *   - one code section per section name; each instance is a copy of its
 *     shape's code under its own FUNC symbol; a map parameter becomes a
 *     relocation against the map's symbol, an integer parameter is added
 *     into the ld_imm64's 64-bit immediate (which holds the addend);
 *   - `.maps`: every map of the object, zero-filled, its symbol, and its
 *     BTF (a struct of `int (*)[N]` members, a VAR, one DATASEC), as
 *     LLVM would have made them (maps.c);
 *   - .BTF: LLVM's types and strings, plus a FUNC per copied program;
 *     .BTF.ext: the func_info, line_info and CO-RE relocation records of
 *     each shape repeated at each of its copies (line_info with the
 *     copy's line: a function has debug info for its first line only);
 *   - every other section (license, .text callbacks, .rodata) as LLVM
 *     wrote it; DWARF is left out (libbpf does not read it).
 *
 * Anything unexpected in LLVM's object (a parameter used other than by an
 * ld_imm64, a relocation to a symbol left out) is an internal error,
 * reported as such: the tree is gone by then (cg_opts.drop_tree) and the
 * first objects may be out already (cg_opts.part_sink).
 */
#include <elf.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"

#ifndef SHT_LLVM_ADDRSIG
#define SHT_LLVM_ADDRSIG 0x6fff4c03
#endif
#define R_BPF_64_64 1
#define BTF_INFO_ENC(kind, kflag, vlen) \
	((!!(kflag) << 31) | ((uint32_t)(kind) << 24) | ((vlen) & 0xffff))
#define BTF_INT_ENC(encoding, bits_offset, nr_bits) \
	((uint32_t)(encoding) << 24 | (bits_offset) << 16 | (nr_bits))
#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)

/* .BTF.ext header (libbpf's layout; the CO-RE part is optional). */
struct ext_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t off_len[3][2];   /* func_info, line_info, core_relo */
};
enum { EXT_FUNC, EXT_LINE, EXT_CORE, EXT_KINDS };

/* The instances and maps of one output object. */
struct part {
	VEC(uint32_t) insts;        /* instance indexes, in program order */
	VEC(struct cg_map *) maps;  /* by cg_map.index */
};
typedef VEC(struct part *) partvec;

/* A growable byte buffer (malloc'ed). */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

struct link {
	struct cg *cg;
	char *err;
	size_t errlen;
	bool failed;

	/* LLVM's object */
	const uint8_t *elf;
	size_t len;
	const Elf64_Shdr *sh;
	size_t nsh;
	const char *shstr;
	size_t shstrlen;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *symstr;
	size_t symstrlen;
	size_t btf_idx, ext_idx;
	size_t *rel_of;          /* section -> its SHT_REL section, 0 if none */
	char *kind;              /* section -> 'k' keep, 'p' program, 'd' drop */
	int32_t *out_sec;        /* section -> output index (kept ones) */
	int32_t *out_sym;        /* symbol -> output index, -1 left out */
	int32_t *map_sym;        /* cg_map.index -> output symbol, -1 not in the part */

	/* shapes */
	const Elf64_Sym **shape_sym;
	VEC(const Elf64_Rel *) *shape_rels;
	VEC(const uint8_t *) *shape_ext[EXT_KINDS];
	uint32_t ext_rec_size[EXT_KINDS];

	/* BTF */
	const struct btf_header *btf;
	const char *btf_str;
	uint32_t ntypes;          /* last type id of LLVM's BTF */
	struct strindex btf_funcs;   /* FUNC name -> btf_type */
	struct strindex btf_func_ids;
	struct buf types, strs;   /* appended */
	uint32_t next_id;
	const struct ext_header *ext;

	/* output program sections, by name */
	struct strindex prog_index;  /* name -> index + 1 */
	VEC(struct prog_sec *) progs;
};

struct prog_sec {
	const char *name;
	uint64_t flags;
	struct buf code, rels;
	VEC(uint32_t) insts;     /* instance indexes, in code order */
	uint32_t out_idx, rel_idx, name_str;
	uint32_t *inst_off;
};

static bool fail(struct link *l, const char *fmt, ...)
{
	if (l->failed)
		return false;
	l->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	return false;
}

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np)
			arena_out_of_memory(cap);
		b->p = np;
		b->cap = cap;
	}
	if (p)
		memcpy(b->p + b->n, p, n);
	else
		memset(b->p + b->n, 0, n);
	b->n += n;
}

static void buf_u32(struct buf *b, uint32_t v)
{
	buf_put(b, &v, 4);
}

static bool in_bounds(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

static const char *sec_name(struct link *l, size_t i)
{
	uint32_t o = l->sh[i].sh_name;
	return o < l->shstrlen ? l->shstr + o : "";
}

static const char *sym_name(struct link *l, const Elf64_Sym *s)
{
	return s->st_name < l->symstrlen ? l->symstr + s->st_name : "";
}

/* Parameter number of a __bt_pK symbol, else -1. */
static long param_of(struct link *l, const Elf64_Sym *s)
{
	const char *n = sym_name(l, s);
	size_t pl = strlen(CG_PARAM_PREFIX);
	if (s->st_shndx != SHN_UNDEF || strncmp(n, CG_PARAM_PREFIX, pl) != 0)
		return -1;
	return strtol(n + pl, NULL, 10);
}

/* ---- reading LLVM's object ---- */

static bool read_elf(struct link *l)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)l->elf;
	if (l->len < sizeof *eh || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_bounds(eh->e_shoff, (size_t)eh->e_shnum * sizeof(Elf64_Shdr), l->len) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return fail(l, "LLVM's object has no section table");
	l->sh = (const Elf64_Shdr *)(l->elf + eh->e_shoff);
	l->nsh = eh->e_shnum;
	for (size_t i = 1; i < l->nsh; i++)
		if (l->sh[i].sh_type != SHT_NOBITS &&
		    !in_bounds(l->sh[i].sh_offset, l->sh[i].sh_size, l->len))
			return fail(l, "LLVM's object has a section out of bounds");
	l->shstr = (const char *)l->elf + l->sh[eh->e_shstrndx].sh_offset;
	l->shstrlen = l->sh[eh->e_shstrndx].sh_size;
	l->rel_of = ARENA_ARRAY(size_t, l->nsh);
	l->kind = ARENA_ARRAY(char, l->nsh);
	l->out_sec = ARENA_ARRAY(int32_t, l->nsh);
	for (size_t i = 1; i < l->nsh; i++) {
		const Elf64_Shdr *s = &l->sh[i];
		const char *name = sec_name(l, i);
		l->out_sec[i] = -1;
		if (s->sh_type == SHT_SYMTAB) {
			if (s->sh_link >= l->nsh || s->sh_entsize != sizeof(Elf64_Sym))
				return fail(l, "LLVM's object has a bad symbol table");
			l->syms = (const Elf64_Sym *)(l->elf + s->sh_offset);
			l->nsyms = s->sh_size / sizeof(Elf64_Sym);
			l->symstr = (const char *)l->elf + l->sh[s->sh_link].sh_offset;
			l->symstrlen = l->sh[s->sh_link].sh_size;
		}
		if (s->sh_type == SHT_REL && s->sh_info < l->nsh)
			l->rel_of[s->sh_info] = i;
		if (!strcmp(name, ".BTF"))
			l->btf_idx = i;
		if (!strcmp(name, ".BTF.ext"))
			l->ext_idx = i;
		bool drop = s->sh_type == SHT_SYMTAB || s->sh_type == SHT_STRTAB ||
			    s->sh_type == SHT_REL || s->sh_type == SHT_LLVM_ADDRSIG ||
			    !strncmp(name, ".debug", 6) || !strcmp(name, ".BTF") ||
			    !strcmp(name, ".BTF.ext");
		l->kind[i] = drop ? 'd' : 'k';
	}
	if (!l->syms || !l->btf_idx)
		return fail(l, "LLVM's object has no symbols or no BTF");
	return true;
}

/* Each shape's function symbol; their sections become program sections. */
static bool find_shapes(struct link *l)
{
	struct cg *cg = l->cg;
	struct strindex funcs = { 0 };
	for (size_t i = 1; i < l->nsyms; i++)
		if (ELF64_ST_TYPE(l->syms[i].st_info) == STT_FUNC)
			strindex_put(&funcs, sym_name(l, &l->syms[i]), (void *)&l->syms[i]);
	l->shape_sym = ARENA_ARRAY(const Elf64_Sym *, cg->shapes.n + 1);
	l->shape_rels = arena_alloc(sizeof *l->shape_rels * (cg->shapes.n + 1));
	for (int k = 0; k < EXT_KINDS; k++)
		l->shape_ext[k] = arena_alloc(sizeof *l->shape_ext[k] * (cg->shapes.n + 1));
	for (size_t s = 0; s < cg->shapes.n; s++) {
		const Elf64_Sym *sym = strindex_get(&funcs, cg->shapes.v[s].fn_name);
		if (!sym || sym->st_shndx == 0 || sym->st_shndx >= l->nsh ||
		    sym->st_value % 8 || sym->st_size % 8 ||
		    !in_bounds(sym->st_value, sym->st_size, l->sh[sym->st_shndx].sh_size))
			return fail(l, "function %s is not in LLVM's object", cg->shapes.v[s].fn_name);
		l->shape_sym[s] = sym;
		l->kind[sym->st_shndx] = 'p';
	}
	return true;
}

/* The shape whose code holds byte off of program section sec, or -1:
 * a binary search over the shapes of the section sorted by offset. */
struct span {
	uint64_t off, size;
	uint32_t shape;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static long shape_at(const struct span *v, size_t n, uint64_t off)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (off < v[mid].off)
			hi = mid;
		else if (off >= v[mid].off + v[mid].size)
			lo = mid + 1;
		else
			return v[mid].shape;
	}
	return -1;
}

static struct span *section_spans(struct link *l, size_t sec, size_t *n)
{
	struct cg *cg = l->cg;
	struct span *v = ARENA_ARRAY(struct span, cg->shapes.n + 1);
	*n = 0;
	for (size_t s = 0; s < cg->shapes.n; s++)
		if (l->shape_sym[s]->st_shndx == sec)
			v[(*n)++] = (struct span){ l->shape_sym[s]->st_value, l->shape_sym[s]->st_size,
						   (uint32_t)s };
	qsort(v, *n, sizeof *v, span_cmp);
	return v;
}

/* Relocations of the program sections, by shape. */
static bool split_relocations(struct link *l)
{
	for (size_t sec = 1; sec < l->nsh; sec++) {
		if (l->kind[sec] != 'p' || !l->rel_of[sec])
			continue;
		size_t n;
		struct span *spans = section_spans(l, sec, &n);
		const Elf64_Shdr *rs = &l->sh[l->rel_of[sec]];
		const Elf64_Rel *r = (const Elf64_Rel *)(l->elf + rs->sh_offset);
		for (size_t i = 0; i < rs->sh_size / sizeof *r; i++) {
			long s = shape_at(spans, n, r[i].r_offset);
			if (s < 0)
				return fail(l, "a relocation of %s is outside every program",
					    sec_name(l, sec));
			VEC_PUSH(&l->shape_rels[s], &r[i]);
		}
	}
	return true;
}

/* ---- BTF ---- */

static uint32_t btf_extra(const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: return 4;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64: return vlen * sizeof(struct btf_enum64);
	default: return 0;
	}
}

static bool read_btf(struct link *l)
{
	const Elf64_Shdr *s = &l->sh[l->btf_idx];
	const uint8_t *p = l->elf + s->sh_offset;
	l->btf = (const struct btf_header *)p;
	if (s->sh_size < sizeof *l->btf || l->btf->magic != BTF_MAGIC ||
	    l->btf->hdr_len < sizeof *l->btf ||
	    !in_bounds(l->btf->hdr_len + (size_t)l->btf->type_off, l->btf->type_len, s->sh_size) ||
	    !in_bounds(l->btf->hdr_len + (size_t)l->btf->str_off, l->btf->str_len, s->sh_size))
		return fail(l, "LLVM's BTF is malformed");
	const uint8_t *types = p + l->btf->hdr_len + l->btf->type_off;
	l->btf_str = (const char *)p + l->btf->hdr_len + l->btf->str_off;
	uint32_t id = 0;
	for (size_t off = 0; off < l->btf->type_len;) {
		const struct btf_type *t = (const struct btf_type *)(types + off);
		if (off + sizeof *t > l->btf->type_len)
			return fail(l, "LLVM's BTF is malformed");
		id++;
		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && t->name_off < l->btf->str_len) {
			strindex_put(&l->btf_funcs, l->btf_str + t->name_off, (void *)t);
			strindex_put(&l->btf_func_ids, l->btf_str + t->name_off, (void *)(uintptr_t)id);
		}
		off += sizeof *t + btf_extra(t);
	}
	l->ntypes = id;
	l->next_id = id + 1;
	return true;
}

/* A string appended to LLVM's string table: its offset. */
static uint32_t add_str(struct link *l, const char *s)
{
	uint32_t off = l->btf->str_len + (uint32_t)l->strs.n;
	buf_put(&l->strs, s, strlen(s) + 1);
	return off;
}

static uint32_t add_type(struct link *l, uint32_t name_off, uint32_t kind, uint32_t vlen,
			 uint32_t size_or_type, const void *extra, size_t extra_len)
{
	struct btf_type t = { .name_off = name_off, .info = BTF_INFO_ENC(kind, 0, vlen),
			      .size = size_or_type };
	buf_put(&l->types, &t, sizeof t);
	if (extra_len)
		buf_put(&l->types, extra, extra_len);
	return l->next_id++;
}

/* `int (*)[n]`, made once per n. */
static uint32_t int_array_ptr(struct link *l, struct strindex *cache, uint32_t int_id,
			      uint32_t index_id, uint32_t n)
{
	char key[16];
	snprintf(key, sizeof key, "%u", n);
	uintptr_t id = (uintptr_t)strindex_get(cache, key);
	if (id)
		return (uint32_t)id;
	struct btf_array a = { .type = int_id, .index_type = index_id, .nelems = n };
	uint32_t arr = add_type(l, 0, BTF_KIND_ARRAY, 0, 0, &a, sizeof a);
	uint32_t ptr = add_type(l, 0, BTF_KIND_PTR, 0, arr, NULL, 0);
	strindex_put(cache, arena_strdup(key), (void *)(uintptr_t)ptr);
	return ptr;
}

static uint32_t map_def_size(const struct cg_map *m)
{
	return m->type == BPF_MAP_TYPE_RINGBUF ? 16 : 32;
}

/* The maps' BTF: struct { int (*type)[T]; int (*max_entries)[M];
 * int (*key_size)[K]; int (*value_size)[V]; } (ring buffers: the first
 * two), a VAR per map, the DATASEC `.maps`. */
static bool add_map_btf(struct link *l, struct cg_map *const *maps, size_t nmaps,
			uint32_t maps_size)
{
	if (nmaps > OBJ_MAX_MAPS)
		return fail(l, "an object would have %zu maps; a BPF object holds at most %u",
			    nmaps, OBJ_MAX_MAPS);
	uint32_t enc = BTF_INT_ENC(BTF_INT_SIGNED, 0, 32);
	uint32_t int_id = add_type(l, add_str(l, "int"), BTF_KIND_INT, 0, 4, &enc, 4);
	enc = BTF_INT_ENC(0, 0, 32);
	uint32_t index_id = add_type(l, add_str(l, "__ARRAY_SIZE_TYPE__"), BTF_KIND_INT, 0, 4, &enc, 4);
	const char *names[4] = { "type", "max_entries", "key_size", "value_size" };
	uint32_t name_off[4];
	for (int i = 0; i < 4; i++)
		name_off[i] = add_str(l, names[i]);
	struct strindex arrays = { 0 }, structs = { 0 };
	uint32_t *var_ids = ARENA_ARRAY(uint32_t, nmaps + 1);
	for (size_t i = 0; i < nmaps; i++) {
		struct cg_map *m = maps[i];
		uint32_t vals[4] = { m->type, m->max_entries, m->key_size, m->value_size };
		uint32_t n = m->type == BPF_MAP_TYPE_RINGBUF ? 2 : 4;
		char key[64];
		snprintf(key, sizeof key, "%u,%u,%u,%u,%u", n, vals[0], vals[1], vals[2], vals[3]);
		uintptr_t st = (uintptr_t)strindex_get(&structs, key);
		if (!st) {
			struct btf_member mem[4];
			for (uint32_t k = 0; k < n; k++)
				mem[k] = (struct btf_member){
					.name_off = name_off[k],
					.type = int_array_ptr(l, &arrays, int_id, index_id, vals[k]),
					.offset = k * 64,
				};
			st = add_type(l, 0, BTF_KIND_STRUCT, n, n * 8, mem, n * sizeof mem[0]);
			strindex_put(&structs, arena_strdup(key), (void *)st);
		}
		struct btf_var v = { .linkage = BTF_VAR_GLOBAL_ALLOCATED };
		var_ids[i] = add_type(l, add_str(l, m->name), BTF_KIND_VAR, 0, (uint32_t)st, &v, sizeof v);
	}
	struct btf_type ds = { .name_off = add_str(l, ".maps"),
			       .info = BTF_INFO_ENC(BTF_KIND_DATASEC, 0, nmaps),
			       .size = maps_size };
	buf_put(&l->types, &ds, sizeof ds);
	l->next_id++;
	uint32_t off = 0;
	for (size_t i = 0; i < nmaps; i++) {
		uint32_t sz = map_def_size(maps[i]);
		struct btf_var_secinfo vs = { .type = var_ids[i], .offset = off, .size = sz };
		buf_put(&l->types, &vs, sizeof vs);
		off += sz;
	}
	return true;
}

/* ---- .BTF.ext ---- */

/* The records of program sections, by shape; others kept by section. */
static bool read_ext(struct link *l, struct strindex *sec_by_name)
{
	if (!l->ext_idx)
		return true;
	const Elf64_Shdr *s = &l->sh[l->ext_idx];
	const uint8_t *p = l->elf + s->sh_offset;
	l->ext = (const struct ext_header *)p;
	if (s->sh_size < 24 || l->ext->magic != BTF_MAGIC || l->ext->hdr_len < 24 ||
	    l->ext->hdr_len > s->sh_size)
		return fail(l, "LLVM's BTF.ext is malformed");
	int kinds = l->ext->hdr_len >= sizeof(struct ext_header) ? EXT_KINDS : EXT_CORE;
	for (int k = 0; k < kinds; k++) {
		uint32_t off = l->ext->off_len[k][0], len = l->ext->off_len[k][1];
		if (!len)
			continue;
		if (!in_bounds(l->ext->hdr_len + (size_t)off, len, s->sh_size) || len < 4)
			return fail(l, "LLVM's BTF.ext is malformed");
		const uint8_t *d = p + l->ext->hdr_len + off, *end = d + len;
		uint32_t rec = *(const uint32_t *)d;
		l->ext_rec_size[k] = rec;
		if (rec < 8)
			return fail(l, "LLVM's BTF.ext is malformed");
		for (d += 4; d + 8 <= end;) {
			uint32_t name = ((const uint32_t *)d)[0], num = ((const uint32_t *)d)[1];
			if (name >= l->btf->str_len || (size_t)(end - d - 8) / rec < num)
				return fail(l, "LLVM's BTF.ext is malformed");
			size_t sec = (uintptr_t)strindex_get(sec_by_name, l->btf_str + name);
			if (sec && l->kind[sec] == 'p') {
				size_t n;
				struct span *spans = section_spans(l, sec, &n);
				for (uint32_t i = 0; i < num; i++) {
					const uint8_t *r = d + 8 + (size_t)i * rec;
					long sh = shape_at(spans, n, *(const uint32_t *)r);
					if (sh < 0)
						return fail(l, "a BTF.ext record of %s is outside every program",
							    l->btf_str + name);
					VEC_PUSH(&l->shape_ext[k][sh], r);
				}
			} else if (sec && l->kind[sec] == 'k') {
				/* kept as is: remembered by its position */
			}
			d += 8 + (size_t)num * rec;
		}
	}
	return true;
}

/* One subsection of the output .BTF.ext. */
static void write_ext_kind(struct link *l, struct buf *o, int k, uint32_t *func_ids,
			   struct strindex *sec_by_name)
{
	uint32_t rec = l->ext_rec_size[k];
	buf_u32(o, rec);
	/* blocks of kept sections, copied */
	const Elf64_Shdr *s = &l->sh[l->ext_idx];
	const uint8_t *p = l->elf + s->sh_offset;
	uint32_t off = l->ext->off_len[k][0], len = l->ext->off_len[k][1];
	const uint8_t *d = p + l->ext->hdr_len + off + 4, *end = p + l->ext->hdr_len + off + len;
	for (; d + 8 <= end;) {
		uint32_t name = ((const uint32_t *)d)[0], num = ((const uint32_t *)d)[1];
		size_t sec = (uintptr_t)strindex_get(sec_by_name, l->btf_str + name);
		size_t n = 8 + (size_t)num * rec;
		if (sec && l->kind[sec] == 'k')
			buf_put(o, d, n);
		d += n;
	}
	for (size_t ps = 0; ps < l->progs.n; ps++) {
		struct prog_sec *ps_ = l->progs.v[ps];
		uint32_t num = 0;
		for (size_t j = 0; j < ps_->insts.n; j++)
			num += (uint32_t)l->shape_ext[k][l->cg->insts.v[ps_->insts.v[j]].shape].n;
		if (!num)
			continue;
		buf_u32(o, ps_->name_str);
		buf_u32(o, num);
		for (size_t j = 0; j < ps_->insts.n; j++) {
			uint32_t ii = ps_->insts.v[j];
			struct cg_inst *inst = &l->cg->insts.v[ii];
			uint64_t base = l->shape_sym[inst->shape]->st_value;
			for (size_t r = 0; r < l->shape_ext[k][inst->shape].n; r++) {
				const uint8_t *src = l->shape_ext[k][inst->shape].v[r];
				size_t at = o->n;
				buf_put(o, src, rec);
				uint32_t *w = (uint32_t *)(o->p + at);
				w[0] = (uint32_t)(w[0] - base + ps_->inst_off[j]);
				if (k == EXT_FUNC)
					w[1] = func_ids[ii];
				/* line_info {insn_off, file, line text, line << 10 | col}:
				 * the copy's own line (the body has no other lines) */
				if (k == EXT_LINE && rec >= 16)
					w[3] = inst->line << 10 | (w[3] & 0x3ff);
			}
		}
	}
}

/* ---- the output ---- */

struct out_sec {
	Elf64_Shdr h;
	const void *data;        /* NULL: zeros (or NOBITS) */
};

static void put_sym(struct buf *b, uint32_t name, unsigned char info, uint16_t shndx,
		    uint64_t value, uint64_t size)
{
	Elf64_Sym s = { .st_name = name, .st_info = info, .st_shndx = shndx, .st_value = value,
			.st_size = size };
	buf_put(b, &s, sizeof s);
}

static uint32_t add_name(struct buf *strtab, const char *s)
{
	uint32_t off = (uint32_t)strtab->n;
	buf_put(strtab, s, strlen(s) + 1);
	return off;
}

/* Program sections of the output: one per section name of the part's
 * instances. */
static void place_instances(struct link *l, const struct part *P)
{
	struct cg *cg = l->cg;
	for (size_t j = 0; j < P->insts.n; j++) {
		uint32_t i = P->insts.v[j];
		struct cg_inst *inst = &cg->insts.v[i];
		uintptr_t k = (uintptr_t)strindex_get(&l->prog_index, inst->section);
		if (!k) {
			struct prog_sec *ps = ARENA_NEW(struct prog_sec);
			ps->name = inst->section;
			ps->flags = SHF_ALLOC | SHF_EXECINSTR;
			VEC_PUSH(&l->progs, ps);
			k = l->progs.n;
			strindex_put(&l->prog_index, inst->section, (void *)k);
		}
		VEC_PUSH(&l->progs.v[k - 1]->insts, (uint32_t)i);
	}
}

/* The code of every instance: its shape's bytes, its relocations. */
static bool copy_code(struct link *l, const int32_t *map_sym)
{
	struct cg *cg = l->cg;
	for (size_t p = 0; p < l->progs.n; p++) {
		struct prog_sec *ps = l->progs.v[p];
		ps->inst_off = ARENA_ARRAY(uint32_t, ps->insts.n + 1);
		for (size_t j = 0; j < ps->insts.n; j++) {
			struct cg_inst *inst = &cg->insts.v[ps->insts.v[j]];
			const Elf64_Sym *fs = l->shape_sym[inst->shape];
			const Elf64_Shdr *src = &l->sh[fs->st_shndx];
			uint64_t base = ps->code.n;
			if (base > UINT32_MAX)
				return fail(l, "section %s is over 4 GiB", ps->name);
			ps->inst_off[j] = (uint32_t)base;
			buf_put(&ps->code, l->elf + src->sh_offset + fs->st_value, fs->st_size);
			for (size_t r = 0; r < l->shape_rels[inst->shape].n; r++) {
				const Elf64_Rel *rel = l->shape_rels[inst->shape].v[r];
				uint64_t at = base + rel->r_offset - fs->st_value;
				size_t sym = ELF64_R_SYM(rel->r_info);
				uint32_t type = (uint32_t)ELF64_R_TYPE(rel->r_info);
				if (sym >= l->nsyms)
					return fail(l, "a relocation names no symbol");
				long k = param_of(l, &l->syms[sym]);
				int32_t out = -1;
				if (k >= 0) {
					if ((uint64_t)k >= inst->nparams)
						return fail(l, "%s has no parameter %ld", inst->name, k);
					struct cg_param *pa = &inst->params[k];
					if (pa->map) {
						out = map_sym[pa->map->index];
					} else {
						struct bpf_insn *in = (struct bpf_insn *)(ps->code.p + at);
						if (type != R_BPF_64_64 || at + 16 > ps->code.n ||
						    in[0].code != LD_IMM64)
							return fail(l, "an integer parameter of %s is not an ld_imm64",
								    inst->name);
						uint64_t imm = (uint32_t)in[0].imm |
							       (uint64_t)(uint32_t)in[1].imm << 32;
						imm += pa->value;
						in[0].imm = (int32_t)(uint32_t)imm;
						in[1].imm = (int32_t)(uint32_t)(imm >> 32);
						continue;
					}
				} else {
					out = l->out_sym[sym];
				}
				if (out < 0)
					return fail(l, "a relocation of %s names a symbol left out", inst->name);
				Elf64_Rel nr = { .r_offset = at, .r_info = ELF64_R_INFO((uint64_t)out, type) };
				buf_put(&ps->rels, &nr, sizeof nr);
			}
		}
	}
	return true;
}

/* ---- parts: several objects when one should not hold the program ---- */

static int map_index_cmp(const void *a, const void *b)
{
	const struct cg_map *x = *(struct cg_map *const *)a, *y = *(struct cg_map *const *)b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sections an object needs besides two per program section name: the
 * null one, .strtab, .maps, .BTF, .BTF.ext, .symtab, and LLVM's kept
 * sections with their relocations. */
static size_t fixed_sections(struct link *l)
{
	size_t n = 6;
	for (size_t i = 1; i < l->nsh; i++)
		if (l->kind[i] == 'k')
			n += l->rel_of[i] ? 2 : 1;
	return n;
}

/* One part when the program fits one object (the common case, the object
 * as before); otherwise parts of at most --object-maps maps,
 * CG_OBJECT_PROGS programs and CG_OBJECT_SECTIONS program sections, filled
 * in program order.  A user map is declared in every part with a program
 * using it (bt-load creates it once); the other maps (ringbuf,
 * ringbuf_loss, stack maps, scratch...) in every part. */
static bool partition(struct link *l, partvec *parts)
{
	struct cg *cg = l->cg;
	bool *is_user = ARENA_ARRAY(bool, cg->all_maps.n + 1);
	for (size_t i = 0; i < cg->meta->maps.n; i++)
		if (cg->user_maps[i])
			is_user[cg->user_maps[i]->index] = true;
	size_t ncommon = 0;
	for (size_t i = 0; i < cg->all_maps.n; i++)
		ncommon += !is_user[i];
	struct strindex sec_mark = { 0 };
	size_t nsecs = 0;
	for (size_t i = 0; i < cg->insts.n; i++)
		if (!strindex_get(&sec_mark, cg->insts.v[i].section)) {
			strindex_put(&sec_mark, cg->insts.v[i].section, (void *)(uintptr_t)1);
			nsecs++;
		}
	size_t fixed = fixed_sections(l);
	size_t part_maps = cg->o->object_maps ? cg->o->object_maps : CG_OBJECT_MAPS;
	if (part_maps > OBJ_MAX_MAPS)
		part_maps = OBJ_MAX_MAPS;
	bool split = cg->all_maps.n > part_maps || cg->insts.n > CG_OBJECT_PROGS ||
		     fixed + 2 * nsecs > CG_OBJECT_SECTIONS;
	if (!split) {
		struct part *p = ARENA_NEW(struct part);
		for (size_t i = 0; i < cg->insts.n; i++)
			VEC_PUSH(&p->insts, (uint32_t)i);
		for (size_t i = 0; i < cg->all_maps.n; i++)
			VEC_PUSH(&p->maps, cg->all_maps.v[i]);
		VEC_PUSH(parts, p);
		return true;
	}
	/* a program uses at most 64 maps (the kernel's limit) */
	if (ncommon + 64 > part_maps || fixed + 2 > CG_OBJECT_SECTIONS)
		return fail(l, "objects of %zu maps cannot hold a program and bt-codegen's %zu "
			    "maps", part_maps, ncommon);
	/* map_mark / sec_mark: 1 + the last part that declared it */
	uint32_t *map_mark = ARENA_ARRAY(uint32_t, cg->all_maps.n + 1);
	sec_mark = (struct strindex){ 0 };
	struct part *p = NULL;
	size_t nmaps = 0, nsec = 0;
	for (size_t i = 0; i < cg->insts.n; i++) {
		struct cg_inst *inst = &cg->insts.v[i];
		uint32_t mark = (uint32_t)parts->n;
		size_t new_maps = 0;
		for (uint32_t k = 0; k < inst->nparams; k++) {
			struct cg_map *m = inst->params[k].map;
			new_maps += m && is_user[m->index] && map_mark[m->index] != mark;
		}
		bool new_sec = (uintptr_t)strindex_get(&sec_mark, inst->section) != mark;
		if (!p || nmaps + new_maps > part_maps || p->insts.n >= CG_OBJECT_PROGS ||
		    fixed + 2 * (nsec + new_sec) > CG_OBJECT_SECTIONS) {
			p = ARENA_NEW(struct part);
			VEC_PUSH(parts, p);
			mark = (uint32_t)parts->n;
			for (size_t m = 0; m < cg->all_maps.n; m++)
				if (!is_user[m])
					VEC_PUSH(&p->maps, cg->all_maps.v[m]);
			nmaps = p->maps.n;
			nsec = 0;
		}
		VEC_PUSH(&p->insts, (uint32_t)i);
		for (uint32_t k = 0; k < inst->nparams; k++) {
			struct cg_map *m = inst->params[k].map;
			if (m && is_user[m->index] && map_mark[m->index] != mark) {
				map_mark[m->index] = mark;
				VEC_PUSH(&p->maps, m);
				nmaps++;
			}
		}
		if ((uintptr_t)strindex_get(&sec_mark, inst->section) != mark) {
			strindex_put(&sec_mark, inst->section, (void *)(uintptr_t)mark);
			nsec++;
		}
	}
	for (size_t i = 0; i < parts->n; i++)
		qsort(parts->v[i]->maps.v, parts->v[i]->maps.n, sizeof(struct cg_map *),
		      map_index_cmp);
	return true;
}

/* The object of part P: LLVM's kept sections, P's programs, P's maps. */
static bool write_part(struct link *l, struct part *P, struct strindex *sec_by_name,
		       uint8_t **out, size_t *outlen)
{
	struct cg *cg = l->cg;
	l->next_id = l->ntypes + 1;
	l->prog_index = (struct strindex){ 0 };
	l->progs.n = 0;
	if (!l->map_sym)
		l->map_sym = ARENA_ARRAY(int32_t, cg->all_maps.n + 1);
	place_instances(l, P);

	/* section indexes: .strtab, kept sections (+ rel), programs (+ rel),
	 * .maps, .BTF, .BTF.ext, .symtab */
	VEC(struct out_sec) secs = { 0 };
	struct buf strtab = { 0 }, symtab = { 0 }, ext = { 0 }, btf = { 0 };
	struct buf *relbufs = arena_alloc(sizeof *relbufs * (l->nsh + 1));
	buf_put(&strtab, "", 1);
	struct out_sec o = { 0 };
	VEC_PUSH(&secs, o);   /* null */
	o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, ".strtab"), .sh_type = SHT_STRTAB,
			    .sh_addralign = 1 };
	VEC_PUSH(&secs, o);
	size_t strtab_idx = 1;
	for (size_t i = 1; i < l->nsh; i++) {
		if (l->kind[i] != 'k')
			continue;
		l->out_sec[i] = (int32_t)secs.n;
		o.h = l->sh[i];
		o.h.sh_name = add_name(&strtab, sec_name(l, i));
		o.data = l->sh[i].sh_type == SHT_NOBITS ? NULL : l->elf + l->sh[i].sh_offset;
		VEC_PUSH(&secs, o);
		if (l->rel_of[i]) {
			o.h = (Elf64_Shdr){ .sh_type = SHT_REL, .sh_flags = SHF_INFO_LINK,
					    .sh_info = (uint32_t)(secs.n - 1), .sh_entsize = sizeof(Elf64_Rel),
					    .sh_addralign = 8,
					    .sh_name = add_name(&strtab, arena_printf(".rel%s", sec_name(l, i))) };
			o.data = NULL;   /* filled below */
			VEC_PUSH(&secs, o);
		}
	}
	for (size_t p = 0; p < l->progs.n; p++) {
		struct prog_sec *ps = l->progs.v[p];
		ps->out_idx = (uint32_t)secs.n;
		o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, ps->name), .sh_type = SHT_PROGBITS,
				    .sh_flags = ps->flags, .sh_addralign = 8 };
		o.data = NULL;
		VEC_PUSH(&secs, o);
		ps->rel_idx = (uint32_t)secs.n;
		o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, arena_printf(".rel%s", ps->name)),
				    .sh_type = SHT_REL, .sh_flags = SHF_INFO_LINK, .sh_info = ps->out_idx,
				    .sh_entsize = sizeof(Elf64_Rel), .sh_addralign = 8 };
		VEC_PUSH(&secs, o);
	}
	size_t maps_idx = secs.n;
	uint32_t maps_size = 0;
	for (size_t i = 0; i < P->maps.n; i++)
		maps_size += map_def_size(P->maps.v[i]);
	o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, ".maps"), .sh_type = SHT_PROGBITS,
			    .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_size = maps_size, .sh_addralign = 8 };
	VEC_PUSH(&secs, o);
	size_t btf_out = secs.n;
	o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, ".BTF"), .sh_type = SHT_PROGBITS,
			    .sh_addralign = 4 };
	VEC_PUSH(&secs, o);
	size_t ext_out = 0;
	if (l->ext) {
		ext_out = secs.n;
		o.h.sh_name = add_name(&strtab, ".BTF.ext");
		VEC_PUSH(&secs, o);
	}
	size_t symtab_idx = secs.n;
	o.h = (Elf64_Shdr){ .sh_name = add_name(&strtab, ".symtab"), .sh_type = SHT_SYMTAB,
			    .sh_link = (uint32_t)strtab_idx, .sh_entsize = sizeof(Elf64_Sym),
			    .sh_addralign = 8 };
	VEC_PUSH(&secs, o);
	for (size_t i = 1; i < secs.n; i++)
		if (secs.v[i].h.sh_type == SHT_REL)
			secs.v[i].h.sh_link = (uint32_t)symtab_idx;

	/* symbols: LLVM's locals in kept sections, then the globals: kept
	 * ones, the programs, the maps */
	put_sym(&symtab, 0, 0, 0, 0, 0);
	uint32_t nsym = 1;
	l->out_sym = ARENA_ARRAY(int32_t, l->nsyms + 1);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < l->nsyms; i++) {
			const Elf64_Sym *s = &l->syms[i];
			bool local = ELF64_ST_BIND(s->st_info) == STB_LOCAL;
			if (local != (pass == 0))
				continue;
			l->out_sym[i] = -1;
			uint16_t shndx = s->st_shndx;
			if (shndx == SHN_UNDEF || (shndx < SHN_LORESERVE && (shndx >= l->nsh ||
			    l->kind[shndx] != 'k'))) {
				if (!local && param_of(l, s) < 0 && shndx == SHN_UNDEF)
					return fail(l, "LLVM's object needs symbol %s", sym_name(l, s));
				continue;
			}
			if (shndx < SHN_LORESERVE)
				shndx = (uint16_t)l->out_sec[shndx];
			l->out_sym[i] = (int32_t)nsym++;
			put_sym(&symtab, add_name(&strtab, sym_name(l, s)), s->st_info, shndx,
				s->st_value, s->st_size);
		}
		if (pass == 0)
			secs.v[symtab_idx].h.sh_info = nsym;
	}
	uint32_t *func_ids = ARENA_ARRAY(uint32_t, cg->insts.n + 1);
	int32_t *map_sym = l->map_sym;
	for (size_t i = 0; i < cg->all_maps.n; i++)
		map_sym[i] = -1;
	uint32_t off = 0;
	for (size_t i = 0; i < P->maps.n; i++) {
		struct cg_map *m = P->maps.v[i];
		map_sym[m->index] = (int32_t)nsym++;
		put_sym(&symtab, add_name(&strtab, m->name), ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
			(uint16_t)maps_idx, off, map_def_size(m));
		off += map_def_size(m);
	}
	if (!copy_code(l, map_sym))
		goto out;
	for (size_t p = 0; p < l->progs.n; p++) {
		struct prog_sec *ps = l->progs.v[p];
		ps->name_str = add_str(l, ps->name);
		for (size_t j = 0; j < ps->insts.n; j++) {
			uint32_t ii = ps->insts.v[j];
			struct cg_inst *inst = &cg->insts.v[ii];
			const Elf64_Sym *fs = l->shape_sym[inst->shape];
			put_sym(&symtab, add_name(&strtab, inst->name),
				ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), (uint16_t)ps->out_idx,
				ps->inst_off[j], fs->st_size);
			nsym++;
			const char *shape_fn = cg->shapes.v[inst->shape].fn_name;
			const struct btf_type *ft = strindex_get(&l->btf_funcs, shape_fn);
			if (!ft) {
				fail(l, "function %s has no BTF", shape_fn);
				goto out;
			}
			if (!strcmp(inst->name, shape_fn))
				func_ids[ii] = (uint32_t)(uintptr_t)strindex_get(&l->btf_func_ids, shape_fn);
			else
				func_ids[ii] = add_type(l, add_str(l, inst->name), BTF_KIND_FUNC,
							BTF_INFO_VLEN(ft->info), ft->type, NULL, 0);
		}
	}
	if (secs.n >= SHN_LORESERVE) {
		fail(l, "the object would have %zu sections", secs.n);
		goto out;
	}
	if (!add_map_btf(l, P->maps.v, P->maps.n, maps_size))
		goto out;

	/* .BTF.ext, then .BTF (the section names are BTF strings) */
	if (l->ext) {
		struct ext_header h = *l->ext;
		int kinds = h.hdr_len >= sizeof h ? EXT_KINDS : EXT_CORE;
		buf_put(&ext, NULL, h.hdr_len);
		for (int k = 0; k < kinds; k++) {
			size_t start = ext.n;
			if (l->ext->off_len[k][1])
				write_ext_kind(l, &ext, k, func_ids, sec_by_name);
			h.off_len[k][0] = (uint32_t)(start - h.hdr_len);
			h.off_len[k][1] = (uint32_t)(ext.n - start);
		}
		memcpy(ext.p, &h, h.hdr_len < sizeof h ? h.hdr_len : sizeof h);
	}
	struct btf_header bh = *l->btf;
	bh.hdr_len = sizeof bh;
	bh.type_off = 0;
	bh.type_len = l->btf->type_len + (uint32_t)l->types.n;
	bh.str_off = bh.type_len;
	bh.str_len = l->btf->str_len + (uint32_t)l->strs.n;
	buf_put(&btf, &bh, sizeof bh);
	const uint8_t *bp = l->elf + l->sh[l->btf_idx].sh_offset + l->btf->hdr_len;
	buf_put(&btf, bp + l->btf->type_off, l->btf->type_len);
	buf_put(&btf, l->types.p, l->types.n);
	buf_put(&btf, bp + l->btf->str_off, l->btf->str_len);
	buf_put(&btf, l->strs.p, l->strs.n);

	/* contents of the sections built here */
	for (size_t i = 1; i < l->nsh; i++) {
		if (l->kind[i] != 'k' || !l->rel_of[i])
			continue;
		const Elf64_Shdr *rs = &l->sh[l->rel_of[i]];
		const Elf64_Rel *r = (const Elf64_Rel *)(l->elf + rs->sh_offset);
		for (size_t k = 0; k < rs->sh_size / sizeof *r; k++) {
			size_t sym = ELF64_R_SYM(r[k].r_info);
			if (sym >= l->nsyms || l->out_sym[sym] < 0) {
				fail(l, "a relocation of %s names a symbol left out", sec_name(l, i));
				goto out;
			}
			Elf64_Rel nr = { .r_offset = r[k].r_offset,
					 .r_info = ELF64_R_INFO((uint64_t)l->out_sym[sym],
								ELF64_R_TYPE(r[k].r_info)) };
			buf_put(&relbufs[i], &nr, sizeof nr);
		}
		struct out_sec *rsec = &secs.v[l->out_sec[i] + 1];
		rsec->data = relbufs[i].p;
		rsec->h.sh_size = relbufs[i].n;
	}
	for (size_t p = 0; p < l->progs.n; p++) {
		struct prog_sec *ps = l->progs.v[p];
		secs.v[ps->out_idx].data = ps->code.p;
		secs.v[ps->out_idx].h.sh_size = ps->code.n;
		secs.v[ps->rel_idx].data = ps->rels.p;
		secs.v[ps->rel_idx].h.sh_size = ps->rels.n;
	}
	secs.v[btf_out].data = btf.p;
	secs.v[btf_out].h.sh_size = btf.n;
	if (ext_out) {
		secs.v[ext_out].data = ext.p;
		secs.v[ext_out].h.sh_size = ext.n;
	}
	secs.v[symtab_idx].data = symtab.p;
	secs.v[symtab_idx].h.sh_size = symtab.n;
	secs.v[strtab_idx].data = strtab.p;
	secs.v[strtab_idx].h.sh_size = strtab.n;

	/* layout: header, contents, section table */
	size_t pos = sizeof(Elf64_Ehdr);
	for (size_t i = 1; i < secs.n; i++) {
		Elf64_Shdr *h = &secs.v[i].h;
		size_t al = h->sh_addralign > 1 ? h->sh_addralign : 1;
		pos = (pos + al - 1) / al * al;
		h->sh_offset = pos;
		if (h->sh_type != SHT_NOBITS)
			pos += h->sh_size;
	}
	pos = (pos + 7) & ~(size_t)7;
	size_t total = pos + secs.n * sizeof(Elf64_Shdr);
	uint8_t *img = calloc(1, total);
	if (!img)
		arena_out_of_memory(total);
	Elf64_Ehdr eh = *(const Elf64_Ehdr *)l->elf;
	eh.e_shoff = pos;
	eh.e_shnum = (uint16_t)secs.n;
	eh.e_shstrndx = (uint16_t)strtab_idx;
	memcpy(img, &eh, sizeof eh);
	for (size_t i = 1; i < secs.n; i++) {
		const struct out_sec *s = &secs.v[i];
		if (s->h.sh_type != SHT_NOBITS && s->data && s->h.sh_size)
			memcpy(img + s->h.sh_offset, s->data, s->h.sh_size);
		memcpy(img + pos + i * sizeof(Elf64_Shdr), &s->h, sizeof s->h);
	}
	*out = img;
	*outlen = total;
out:
	free(ext.p);
	free(btf.p);
	for (size_t i = 1; i < l->nsh; i++)
		free(relbufs[i].p);
	for (size_t p = 0; p < l->progs.n; p++) {
		free(l->progs.v[p]->code.p);
		free(l->progs.v[p]->rels.p);
	}
	free(symtab.p);
	free(strtab.p);
	return !l->failed;
}

bool cg_link(struct cg *cg, const uint8_t *elf, size_t len, struct cg_elf **out,
	     uint32_t *nout, char *err, size_t errlen)
{
	struct link L = { .cg = cg, .elf = elf, .len = len, .err = err, .errlen = errlen };
	struct link *l = &L;
	err[0] = 0;
	if (!read_elf(l) || !find_shapes(l) || !split_relocations(l) || !read_btf(l))
		return false;
	struct strindex sec_by_name = { 0 };
	for (size_t i = 1; i < l->nsh; i++)
		if (l->kind[i] != 'd')
			strindex_put(&sec_by_name, sec_name(l, i), (void *)(uintptr_t)i);
	if (!read_ext(l, &sec_by_name))
		return false;
	partvec parts = { 0 };
	if (!partition(l, &parts))
		return false;
	const struct cg_opts *o = cg->o;
	*out = o->part_sink ? NULL : ARENA_ARRAY(struct cg_elf, parts.n);
	*nout = (uint32_t)parts.n;
	for (size_t i = 0; i < parts.n; i++) {
		uint8_t *img = NULL;
		size_t n = 0;
		bool ok = write_part(l, parts.v[i], &sec_by_name, &img, &n);
		free(l->types.p);
		free(l->strs.p);
		l->types = l->strs = (struct buf){ 0 };
		if (!ok)
			return false;
		if (!o->part_sink) {
			(*out)[i] = (struct cg_elf){ img, n };   /* kept for the caller */
			continue;
		}
		ok = o->part_sink(o->part_sink_arg, (uint32_t)i, (uint32_t)parts.n, img, n);
		free(img);
		if (!ok)
			return fail(l, "cannot write the obj stream");
	}
	return true;
}
