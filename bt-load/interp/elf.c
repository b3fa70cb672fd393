/* elf.c - a BPF ELF object's programs, linked for the interpreter.
 *
 * As libbpf links them for the kernel: each function symbol of an
 * executable section other than .text is a program; the functions of
 * .text it may call (bpf-to-bpf calls, callbacks) are appended to it.  The
 * relocations of those sections bind ld_imm64 instructions to maps (a
 * symbol in .maps, named as the map), to data sections (.rodata, .data,
 * .bss: one-entry array maps made here, named as the section; .rodata is
 * read-only) or to functions, and calls to functions.  The maps of .maps
 * are the caller's: map_index() gives the vm index of a map by name.
 */
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define R_BPF_64_64 1
#define R_BPF_64_32 10

struct section {
	Elf_Scn *scn;
	GElf_Shdr sh;
	const char *name;
	Elf_Data *data;
	int map;                  /* data sections: vm map index, -1 until made */
};

struct obj {
	struct vm *vm;
	Elf *e;
	struct section *secs;
	size_t nsecs;
	Elf_Data *syms;
	size_t nsyms;
	size_t strndx;            /* symbol names */
	size_t text, maps;        /* section indexes, 0 if absent */
	int (*map_index)(void *ctx, const char *name);
	void *ctx;
};

static int err(struct vm *vm, const char *fmt, const char *a)
{
	snprintf(vm->err, sizeof vm->err, fmt, a);
	return -1;
}

static bool is_code(const struct section *s)
{
	return s->sh.sh_type == SHT_PROGBITS && (s->sh.sh_flags & SHF_EXECINSTR) && s->data &&
	       s->data->d_buf && s->sh.sh_size % sizeof(struct bpf_insn) == 0;
}

static bool is_data(const struct section *s)
{
	return !strncmp(s->name, ".rodata", 7) || !strncmp(s->name, ".data", 5) ||
	       !strncmp(s->name, ".bss", 4);
}

static int data_map(struct obj *o, size_t idx)
{
	struct section *s = &o->secs[idx];
	if (s->map >= 0)
		return s->map;
	if (s->sh.sh_size == 0 || s->sh.sh_size > (1u << 20))
		return err(o->vm, "data section %s: bad size", s->name);
	bool bss = s->sh.sh_type == SHT_NOBITS;
	struct vm_map_def d = {
		.name = s->name, .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
		.value_size = (uint32_t)s->sh.sh_size, .max_entries = 1,
		.init = bss || !s->data ? NULL : s->data->d_buf,
		.init_size = bss || !s->data ? 0 : s->data->d_size,
		.readonly = !strncmp(s->name, ".rodata", 7),
	};
	s->map = vm_add_map(o->vm, &d);
	return s->map;
}

/* Relocations of code section sec that fall in [start, start+n) insns,
 * appended to *r as instructions at base + (index - start). */
static int collect(struct obj *o, size_t sec, size_t start, size_t n, uint32_t base,
		   uint32_t text_base, const struct bpf_insn *code, struct vm_reloc **r,
		   size_t *nr)
{
	for (size_t k = 0; k < o->nsecs; k++) {
		const struct section *rs = &o->secs[k];
		if (rs->sh.sh_type != SHT_REL || rs->sh.sh_info != sec || !rs->data)
			continue;
		size_t cnt = rs->sh.sh_entsize ? rs->sh.sh_size / rs->sh.sh_entsize : 0;
		for (size_t j = 0; j < cnt; j++) {
			GElf_Rel rel;
			GElf_Sym sym;
			if (!gelf_getrel(rs->data, (int)j, &rel))
				return err(o->vm, "%s: bad relocation", rs->name);
			size_t at = rel.r_offset / sizeof(struct bpf_insn);
			if (rel.r_offset % sizeof(struct bpf_insn) || at < start || at >= start + n)
				continue;
			size_t si = GELF_R_SYM(rel.r_info);
			if (si >= o->nsyms || !gelf_getsym(o->syms, (int)si, &sym) ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= o->nsecs)
				return err(o->vm, "%s: relocation against an unknown symbol",
					   rs->name);
			const char *sname = elf_strptr(o->e, o->strndx, sym.st_name);
			const struct bpf_insn *in = &code[at];
			struct vm_reloc v = { .insn = base + (uint32_t)(at - start) };
			size_t ts = sym.st_shndx;
			bool call = in->code == (BPF_JMP | BPF_CALL);
			if (!call && in->code != (BPF_LD | BPF_IMM | BPF_DW))
				return err(o->vm, "%s: relocation of an instruction that takes none",
					   rs->name);
			if (ts == o->maps && o->maps) {
				int m = o->map_index(o->ctx, sname ? sname : "");
				if (m < 0)
					return err(o->vm, "no map named '%s'", sname ? sname : "");
				v.kind = VM_RELOC_MAP;
				v.map = (uint32_t)m;
			} else if (is_data(&o->secs[ts])) {
				int m = data_map(o, ts);
				if (m < 0)
					return -1;
				v.kind = VM_RELOC_MAP_VALUE;
				v.map = (uint32_t)m;
				v.target = (uint32_t)(sym.st_value + (uint32_t)in->imm);
			} else if (is_code(&o->secs[ts]) && (ts == o->text || ts == sec)) {
				int64_t idx = call ? (int64_t)(sym.st_value / 8) + in->imm + 1
						   : (int64_t)((sym.st_value + (uint32_t)in->imm) / 8);
				idx = ts == o->text ? idx + text_base : idx - (int64_t)start + base;
				if (idx < 0 || idx > UINT32_MAX)
					return err(o->vm, "%s: function reference out of range", rs->name);
				v.kind = call ? VM_RELOC_CALL : VM_RELOC_FUNC;
				v.target = (uint32_t)idx;
			} else {
				return err(o->vm, "relocation against section %s", o->secs[ts].name);
			}
			if (call && v.kind != VM_RELOC_CALL)
				return err(o->vm, "%s: a call to data", rs->name);
			struct vm_reloc *nrl = realloc(*r, (*nr + 1) * sizeof *nrl);
			if (!nrl)
				return err(o->vm, "%s", "out of memory");
			*r = nrl;
			nrl[(*nr)++] = v;
		}
	}
	return 0;
}

static int add_program(struct obj *o, size_t sec, const GElf_Sym *sym, const char *name)
{
	const struct section *s = &o->secs[sec];
	const struct bpf_insn *code = s->data->d_buf;
	size_t total = s->sh.sh_size / 8;
	size_t start = sym->st_value / 8, n = sym->st_size / 8;
	if (sym->st_value % 8 || start > total || n > total - start || n == 0)
		return err(o->vm, "program %s: outside its section", name);
	size_t ntext = o->text ? o->secs[o->text].sh.sh_size / 8 : 0;
	struct bpf_insn *image = malloc((n + ntext) * sizeof *image);
	if (!image)
		return err(o->vm, "%s", "out of memory");
	memcpy(image, code + start, n * sizeof *image);
	if (ntext)
		memcpy(image + n, o->secs[o->text].data->d_buf, ntext * sizeof *image);
	struct vm_reloc *r = NULL;
	size_t nr = 0;
	int rc = collect(o, sec, start, n, 0, (uint32_t)n, code, &r, &nr);
	if (rc == 0 && ntext)
		rc = collect(o, o->text, 0, ntext, (uint32_t)n, (uint32_t)n,
			     o->secs[o->text].data->d_buf, &r, &nr);
	if (rc == 0)
		rc = vm_add_prog(o->vm, name, image, n + ntext, r, nr) < 0 ? -1 : 0;
	free(r);
	free(image);
	return rc;
}

int vm_load_elf(struct vm *vm, const void *buf, size_t size,
		int (*map_index)(void *ctx, const char *name), void *ctx)
{
	struct obj o = { .vm = vm, .map_index = map_index, .ctx = ctx };
	int rc = -1;
	vm->err[0] = '\0';
	elf_version(EV_CURRENT);
	o.e = elf_memory((char *)buf, size);
	size_t shstrndx;
	if (!o.e || elf_kind(o.e) != ELF_K_ELF || elf_getshdrnum(o.e, &o.nsecs) ||
	    elf_getshdrstrndx(o.e, &shstrndx)) {
		err(vm, "%s", "not an ELF object");
		goto out;
	}
	o.secs = calloc(o.nsecs ? o.nsecs : 1, sizeof *o.secs);
	if (!o.secs)
		goto out;
	for (size_t i = 0; i < o.nsecs; i++) {
		struct section *s = &o.secs[i];
		s->map = -1;
		s->scn = elf_getscn(o.e, i);
		if (!s->scn || !gelf_getshdr(s->scn, &s->sh)) {
			err(vm, "%s", "bad section header");
			goto out;
		}
		s->name = elf_strptr(o.e, shstrndx, s->sh.sh_name);
		if (!s->name)
			s->name = "";
		s->data = s->sh.sh_type == SHT_NOBITS ? NULL : elf_getdata(s->scn, NULL);
		if (s->sh.sh_type == SHT_SYMTAB && s->data) {
			o.syms = s->data;
			o.nsyms = s->sh.sh_entsize ? s->sh.sh_size / s->sh.sh_entsize : 0;
			o.strndx = s->sh.sh_link;
		}
		if (!strcmp(s->name, ".text") && is_code(s))
			o.text = i;
		if (!strcmp(s->name, ".maps"))
			o.maps = i;
	}
	if (!o.syms) {
		err(vm, "%s", "the object has no symbol table");
		goto out;
	}
	for (size_t j = 0; j < o.nsyms; j++) {
		GElf_Sym sym;
		if (!gelf_getsym(o.syms, (int)j, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= o.nsecs ||
		    sym.st_shndx == o.text || !is_code(&o.secs[sym.st_shndx]))
			continue;
		const char *name = elf_strptr(o.e, o.strndx, sym.st_name);
		if (!name || !*name) {
			err(vm, "%s", "a program without a name");
			goto out;
		}
		if (add_program(&o, sym.st_shndx, &sym, name) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0 && !vm->err[0])
		err(vm, "%s", "out of memory");
	free(o.secs);
	if (o.e)
		elf_end(o.e);
	return rc;
}
