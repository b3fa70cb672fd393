/* elfsym.c - what bt-load needs from ELF files: function symbols (by
 * address for usym/ustack, by name for uprobe attach), the PT_LOAD
 * segments (virtual address <-> file offset) and USDT notes.
 *
 * Each file is read once (libelf) and cached for the run; symbols are kept
 * compactly (sorted address table + one string buffer) because bt-load
 * stays alive while tracing and must stay small.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"

struct esym {
	uint64_t addr, size;
	uint32_t name;            /* offset in names */
};

struct seg {
	uint64_t vaddr, off, filesz, memsz;
};

struct note {
	uint64_t pc, sem;
	uint32_t provider, name;  /* offsets in names */
};

struct elfsyms {
	const char *path;
	bool pie;
	struct esym *syms;
	size_t nsyms;
	char *names;
	size_t names_len, names_cap;
	struct seg *segs;
	size_t nsegs;
	struct note *notes;
	size_t nnotes;
	struct elfsyms *next;
};

static struct elfsyms *g_cache;

static uint32_t add_name(struct elfsyms *s, const char *n)
{
	size_t len = strlen(n) + 1;
	if (s->names_len + len > s->names_cap) {
		size_t c = s->names_cap ? s->names_cap * 2 : 4096;
		while (c < s->names_len + len)
			c *= 2;
		char *nn = realloc(s->names, c);
		if (!nn)
			return 0;
		s->names = nn;
		s->names_cap = c;
	}
	memcpy(s->names + s->names_len, n, len);
	uint32_t r = (uint32_t)s->names_len;
	s->names_len += len;
	return r;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct esym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void read_symtab(struct elfsyms *s, Elf *e, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !sh->sh_entsize)
		return;
	size_t n = sh->sh_size / sh->sh_entsize;
	s->syms = realloc(s->syms, (s->nsyms + n) * sizeof *s->syms);
	if (!s->syms)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		int t = GELF_ST_TYPE(sym.st_info);
		if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		s->syms[s->nsyms].addr = sym.st_value;
		s->syms[s->nsyms].size = sym.st_size;
		s->syms[s->nsyms].name = add_name(s, name);
		s->nsyms++;
	}
}

/* .note.stapsdt: desc = pc, base, semaphore (3 words), provider\0name\0args\0 */
static void read_notes(struct elfsyms *s, Elf_Scn *scn, uint64_t base_addr, bool have_base)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data)
		return;
	size_t off = 0, noff, doff;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type != 3 || nh.n_namesz != 8 ||
		    memcmp((char *)data->d_buf + noff, "stapsdt", 8) != 0 || nh.n_descsz < 26)
			continue;
		const uint8_t *d = (const uint8_t *)data->d_buf + doff;
		uint64_t pc, base, sem;
		memcpy(&pc, d, 8);
		memcpy(&base, d + 8, 8);
		memcpy(&sem, d + 16, 8);
		const char *prov = (const char *)d + 24;
		size_t plen = strnlen(prov, nh.n_descsz - 24);
		if (24 + plen + 1 >= nh.n_descsz)
			continue;
		const char *name = prov + plen + 1;
		if (have_base) {   /* prelink adjustment */
			pc += base_addr - base;
			if (sem)
				sem += base_addr - base;
		}
		struct note *nn = realloc(s->notes, (s->nnotes + 1) * sizeof *nn);
		if (!nn)
			return;
		s->notes = nn;
		nn[s->nnotes].pc = pc;
		nn[s->nnotes].sem = sem;
		nn[s->nnotes].provider = add_name(s, prov);
		nn[s->nnotes].name = add_name(s, name);
		s->nnotes++;
	}
}

static struct elfsyms *load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		if (e)
			elf_end(e);
		close(fd);
		return NULL;
	}
	struct elfsyms *s = calloc(1, sizeof *s);
	s->path = arena_strdup(path);
	s->pie = eh.e_type == ET_DYN;
	add_name(s, "");
	size_t nph = 0;
	elf_getphdrnum(e, &nph);
	s->segs = calloc(nph + 1, sizeof *s->segs);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
			s->segs[s->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz,
							    ph.p_memsz };
		}
	}
	size_t shstrndx;
	elf_getshdrstrndx(e, &shstrndx);
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL, *notes = NULL;
	GElf_Shdr symsh, dynsh, sh;
	uint64_t base_addr = 0;
	bool have_base = false;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symsh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		} else if (name && sh.sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt")) {
			notes = scn;
		} else if (name && !strcmp(name, ".stapsdt.base")) {
			base_addr = sh.sh_addr;
			have_base = true;
		}
	}
	if (symtab)
		read_symtab(s, e, symtab, &symsh);
	if (dynsym && (!symtab || s->nsyms == 0))
		read_symtab(s, e, dynsym, &dynsh);
	if (notes)
		read_notes(s, notes, base_addr, have_base);
	if (s->nsyms)
		qsort(s->syms, s->nsyms, sizeof *s->syms, sym_cmp);
	elf_end(e);
	close(fd);
	return s;
}

struct elfsyms *elfsyms_get(const char *path)
{
	for (struct elfsyms *s = g_cache; s; s = s->next)
		if (!strcmp(s->path, path))
			return s;
	struct elfsyms *s = load(path);
	if (s) {
		s->next = g_cache;
		g_cache = s;
	}
	return s;
}

const char *elfsyms_addr(struct elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	if (!s || !s->nsyms)
		return NULL;
	size_t lo = 0, hi = s->nsyms;
	while (lo < hi) {   /* last symbol with addr <= vaddr */
		size_t mid = (lo + hi) / 2;
		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* among symbols at the same address prefer one that covers vaddr */
	for (size_t i = lo; i-- > 0 && s->syms[i].addr == s->syms[lo - 1].addr;) {
		const struct esym *e = &s->syms[i];
		if (vaddr < e->addr + (e->size ? e->size : 1)) {
			*off = vaddr - e->addr;
			return s->names + e->name;
		}
	}
	return NULL;
}

bool elfsyms_name(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size)
{
	if (!s)
		return false;
	for (size_t i = 0; i < s->nsyms; i++) {
		if (!strcmp(s->names + s->syms[i].name, name)) {
			*vaddr = s->syms[i].addr;
			*size = s->syms[i].size;
			return true;
		}
	}
	return false;
}

uint64_t elfsyms_file_offset(struct elfsyms *s, uint64_t vaddr)
{
	for (size_t i = 0; s && i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];
		if (vaddr >= g->vaddr && vaddr < g->vaddr + g->memsz)
			return vaddr - g->vaddr + g->off;
	}
	return (uint64_t)-1;
}

uint64_t elfsyms_vaddr_of_offset(struct elfsyms *s, uint64_t off)
{
	for (size_t i = 0; s && i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];
		if (off >= g->off && off < g->off + (g->filesz ? g->filesz : 1))
			return off - g->off + g->vaddr;
	}
	return (uint64_t)-1;
}

bool elfsyms_is_pie(struct elfsyms *s)
{
	return s && s->pie;
}

int elfsyms_usdt(struct elfsyms *s, const char *provider, const char *name,
		 struct usdt_loc *locs, int max)
{
	int n = 0;
	for (size_t i = 0; s && i < s->nnotes; i++) {
		const struct note *t = &s->notes[i];
		if ((provider && *provider && strcmp(s->names + t->provider, provider)) ||
		    strcmp(s->names + t->name, name))
			continue;
		if (n < max)
			locs[n] = (struct usdt_loc){ t->pc, t->sem };
		n++;
	}
	return n;
}
