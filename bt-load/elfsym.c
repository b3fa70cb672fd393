/* elfsym.c - what bt-load needs from ELF files: function symbols (by
 * address for usym/ustack, by name for uprobe attach), the PT_LOAD
 * segments (virtual address <-> file offset) and USDT notes.
 *
 * bt-load stays alive while tracing and must stay small, and traced
 * processes map big libraries (libLLVM has ~100k functions with long C++
 * names).  So a file is read with pread in small chunks (never mapped
 * whole), only a compact index is kept per file — 16 bytes per function:
 * address, size, offset of its name in the string table — and names are
 * read from the file when asked for.  Files are cached for the run by
 * identity (device, inode), so /proc/PID/root/usr/lib/libc.so.6 of many
 * processes is indexed once.  64-bit little-endian ELF only (x86_64).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"

struct esym {
	uint64_t addr;
	uint32_t size;
	uint32_t name;            /* offset in the symbol string table */
};

struct seg {
	uint64_t vaddr, off, filesz, memsz;
};

struct note {
	uint64_t pc, sem;
	char *provider, *name;
};

struct elfsyms {
	const char *path;
	dev_t dev;                /* the cache key: the file, whatever its path */
	ino_t ino;
	bool pie;
	struct esym *syms;
	size_t nsyms;
	uint64_t strtab_off, strtab_size;   /* names of syms */
	struct seg *segs;
	size_t nsegs;
	struct note *notes;
	size_t nnotes;
	struct elfsyms *next;
};

static struct elfsyms *g_cache;

static bool rd(int fd, void *buf, size_t n, uint64_t off)
{
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct esym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Index the function symbols of one symbol table (streamed in chunks). */
static void index_symtab(struct elfsyms *s, int fd, const Elf64_Shdr *sh,
			 const Elf64_Shdr *strsh)
{
	if (sh->sh_entsize != sizeof(Elf64_Sym))
		return;
	size_t n = sh->sh_size / sizeof(Elf64_Sym), cap = 0;
	Elf64_Sym chunk[512];
	for (size_t i = 0; i < n; i += 512) {
		size_t k = n - i < 512 ? n - i : 512;
		if (!rd(fd, chunk, k * sizeof *chunk, sh->sh_offset + i * sizeof *chunk))
			break;
		for (size_t j = 0; j < k; j++) {
			const Elf64_Sym *y = &chunk[j];
			int t = ELF64_ST_TYPE(y->st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || y->st_shndx == SHN_UNDEF ||
			    !y->st_value || !y->st_name || y->st_name >= strsh->sh_size)
				continue;
			if (s->nsyms == cap) {
				cap = cap ? cap * 2 : 256;
				struct esym *ns = realloc(s->syms, cap * sizeof *ns);
				if (!ns)
					return;
				s->syms = ns;
			}
			s->syms[s->nsyms++] = (struct esym){ y->st_value,
				y->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)y->st_size, y->st_name };
		}
	}
	s->strtab_off = strsh->sh_offset;
	s->strtab_size = strsh->sh_size;
	if (s->nsyms) {
		s->syms = realloc(s->syms, s->nsyms * sizeof *s->syms);
		qsort(s->syms, s->nsyms, sizeof *s->syms, sym_cmp);
	}
}

static char *dup_cstr(const char *p, size_t max)
{
	size_t n = strnlen(p, max);
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, p, n);
		r[n] = '\0';
	}
	return r;
}

/* .note.stapsdt: desc = pc, base, semaphore (3 words), provider\0name\0args\0 */
static void read_notes(struct elfsyms *s, int fd, const Elf64_Shdr *sh, uint64_t base_addr,
		       bool have_base)
{
	if (sh->sh_size > (64u << 20))
		return;
	uint8_t *buf = malloc(sh->sh_size);
	if (!buf || !rd(fd, buf, sh->sh_size, sh->sh_offset)) {
		free(buf);
		return;
	}
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= sh->sh_size) {
		Elf64_Nhdr nh;
		memcpy(&nh, buf + off, sizeof nh);
		size_t name_at = off + sizeof nh;
		size_t desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
		size_t next = desc_at + ((nh.n_descsz + 3) & ~3u);
		if (next > sh->sh_size || desc_at > sh->sh_size)
			break;
		off = next;
		if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp(buf + name_at, "stapsdt", 8) ||
		    nh.n_descsz < 26)
			continue;
		const uint8_t *d = buf + desc_at;
		uint64_t pc, base, sem;
		memcpy(&pc, d, 8);
		memcpy(&base, d + 8, 8);
		memcpy(&sem, d + 16, 8);
		const char *prov = (const char *)d + 24;
		size_t plen = strnlen(prov, nh.n_descsz - 24);
		if (24 + plen + 1 >= nh.n_descsz)
			continue;
		if (have_base) {   /* prelink adjustment */
			pc += base_addr - base;
			if (sem)
				sem += base_addr - base;
		}
		struct note *nn = realloc(s->notes, (s->nnotes + 1) * sizeof *nn);
		if (!nn)
			break;
		s->notes = nn;
		nn[s->nnotes++] = (struct note){ pc, sem, dup_cstr(prov, plen),
			dup_cstr(prov + plen + 1, nh.n_descsz - 24 - plen - 1) };
	}
	free(buf);
}

static struct elfsyms *load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Elf64_Ehdr eh;
	if (!rd(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_shnum > 4096 || eh.e_phnum > 4096) {
		close(fd);
		return NULL;
	}
	struct elfsyms *s = calloc(1, sizeof *s);
	s->path = arena_strdup(path);
	s->pie = eh.e_type == ET_DYN;
	s->segs = calloc(eh.e_phnum + 1u, sizeof *s->segs);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (rd(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph) && ph.p_type == PT_LOAD)
			s->segs[s->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz,
							    ph.p_memsz };
	}
	Elf64_Shdr *sh = calloc(eh.e_shnum + 1u, sizeof *sh);
	if (!sh || !rd(fd, sh, eh.e_shnum * sizeof *sh, eh.e_shoff))
		eh.e_shnum = 0;
	char *shstr = NULL;
	if (eh.e_shnum && eh.e_shstrndx < eh.e_shnum && sh[eh.e_shstrndx].sh_size < (16u << 20)) {
		shstr = calloc(1, sh[eh.e_shstrndx].sh_size + 1);
		if (shstr && !rd(fd, shstr, sh[eh.e_shstrndx].sh_size, sh[eh.e_shstrndx].sh_offset))
			shstr[0] = '\0';
	}
	int symtab = -1, dynsym = -1, notes = -1;
	uint64_t base_addr = 0;
	bool have_base = false;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		const char *name = shstr && sh[i].sh_name < sh[eh.e_shstrndx].sh_size
					   ? shstr + sh[i].sh_name : "";
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh.e_shnum)
			symtab = (int)i;
		else if (sh[i].sh_type == SHT_DYNSYM && sh[i].sh_link < eh.e_shnum)
			dynsym = (int)i;
		else if (sh[i].sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt"))
			notes = (int)i;
		else if (!strcmp(name, ".stapsdt.base")) {
			base_addr = sh[i].sh_addr;
			have_base = true;
		}
	}
	if (symtab >= 0)
		index_symtab(s, fd, &sh[symtab], &sh[sh[symtab].sh_link]);
	if (dynsym >= 0 && s->nsyms == 0)
		index_symtab(s, fd, &sh[dynsym], &sh[sh[dynsym].sh_link]);
	if (notes >= 0)
		read_notes(s, fd, &sh[notes], base_addr, have_base);
	free(shstr);
	free(sh);
	close(fd);
	return s;
}

/* Cached by file identity, see the top. */
struct elfsyms *elfsyms_get(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return NULL;
	for (struct elfsyms *s = g_cache; s; s = s->next)
		if (s->dev == st.st_dev && s->ino == st.st_ino)
			return s;
	struct elfsyms *s = load(path);
	if (s) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->next = g_cache;
		g_cache = s;
	}
	return s;
}

/* Name of symbol i, read from the file into a static buffer. */
static const char *sym_name(struct elfsyms *s, const struct esym *e)
{
	static char buf[4096];
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	uint64_t max = s->strtab_size - e->name;
	size_t want = max < sizeof buf - 1 ? (size_t)max : sizeof buf - 1;
	ssize_t n = pread(fd, buf, want, (off_t)(s->strtab_off + e->name));
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

const char *elfsyms_addr(struct elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	if (!s || !s->nsyms || vaddr < s->syms[0].addr)
		return NULL;
	size_t lo = 0, hi = s->nsyms;
	while (lo < hi) {   /* last symbol with addr <= vaddr */
		size_t mid = (lo + hi) / 2;
		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* among symbols at the same address prefer one that covers vaddr */
	for (size_t i = lo; i-- > 0 && s->syms[i].addr == s->syms[lo - 1].addr;) {
		const struct esym *e = &s->syms[i];
		if (vaddr < e->addr + (e->size ? e->size : 1)) {
			*off = vaddr - e->addr;
			return sym_name(s, e);
		}
	}
	return NULL;
}

/* Streams the string table looking for "name\0" (the linker shares
 * suffixes, so a symbol's name may start inside another string), then
 * finds the function whose name offset is one of the hits. */
bool elfsyms_name(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size)
{
	size_t len = strlen(name) + 1;   /* with the NUL */
	if (!s || !s->nsyms || len > 4096)
		return false;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	enum { CHUNK = 65536 };
	char *buf = malloc(CHUNK + 4096);
	bool found = false;
	for (uint64_t pos = 0; buf && !found && pos < s->strtab_size; pos += CHUNK) {
		uint64_t want = s->strtab_size - pos;
		if (want > CHUNK + len - 1)
			want = CHUNK + len - 1;   /* overlap: a match may straddle chunks */
		ssize_t n = pread(fd, buf, (size_t)want, (off_t)(s->strtab_off + pos));
		if (n <= 0)
			break;
		for (char *p = buf; !found && (p = memmem(p, (size_t)(buf + n - p), name, len));
		     p++) {
			uint64_t at = pos + (uint64_t)(p - buf);
			for (size_t i = 0; i < s->nsyms; i++) {
				if (s->syms[i].name == at) {
					*vaddr = s->syms[i].addr;
					*size = s->syms[i].size;
					found = true;
					break;
				}
			}
			if (p - buf >= CHUNK)
				break;
		}
	}
	free(buf);
	close(fd);
	return found;
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

/* Up to n bytes of the file at virtual address vaddr; bytes read, or -1. */
ssize_t elfsyms_read(struct elfsyms *s, uint64_t vaddr, void *buf, size_t n)
{
	uint64_t off = elfsyms_file_offset(s, vaddr);
	if (off == (uint64_t)-1)
		return -1;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = pread(fd, buf, n, (off_t)off);
	close(fd);
	return got;
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
		if (!t->provider || !t->name || (provider && *provider && strcmp(t->provider, provider)) ||
		    strcmp(t->name, name))
			continue;
		if (n < max)
			locs[n] = (struct usdt_loc){ t->pc, t->sem };
		n++;
	}
	return n;
}
