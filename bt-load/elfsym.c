/* elfsym.c - what bt-load needs from ELF files: function symbols (by
 * address for usym/ustack, by name for uprobe attach) and the PT_LOAD
 * segments (virtual address <-> file offset).  USDT notes are read by
 * bt-check, whose attach points carry each site's file offsets.
 *
 * bt-load stays alive while tracing and must stay small, and traced
 * processes map big libraries (libLLVM has ~100k functions with long C++
 * names).  So a file is read with pread in small chunks (never mapped
 * whole), only a compact index is kept per file — 16 bytes per function:
 * address, size, offset of its name in the string table — and names are
 * read from the file when asked for.  Files are cached for the run by
 * identity (device, inode), so /proc/PID/root/usr/lib/libc.so.6 of many
 * processes is indexed once.  A stripped file's functions come from its
 * separate debug file when there is one (libcommon/debugfile.h): names
 * are then read from that file.  64-bit little-endian ELF only (x86_64).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debugfile.h"
#include "load.h"

struct esym {
	uint64_t addr;
	uint32_t size;
	uint32_t name;            /* offset in the symbol string table */
};

struct seg {
	uint64_t vaddr, off, filesz, memsz;
};

/* The functions of one symbol table, by address; names stay in the file. */
struct symtab {
	const char *path;         /* the file holding the names */
	uint64_t str_off, str_size;
	struct esym *syms;
	size_t n;
};

struct elfsyms {
	const char *path;
	dev_t dev;                /* the cache key: the file, whatever its path */
	ino_t ino;
	bool pie;
	/* .symtab, else .dynsym and, when the file is stripped, its debug
	 * file's .symtab (static functions; public names such as
	 * clock_nanosleep are in .dynsym only, versioned in the debug file) */
	struct symtab tabs[2];
	size_t ntabs;
	struct seg *segs;
	size_t nsegs;
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

/* Index the function symbols of one symbol table (streamed in chunks)
 * as s's next table; false if it has none. */
static bool index_symtab(struct elfsyms *s, const char *path, int fd, const Elf64_Shdr *sh,
			 const Elf64_Shdr *strsh)
{
	if (sh->sh_entsize != sizeof(Elf64_Sym) || s->ntabs == 2)
		return false;
	struct symtab *t = &s->tabs[s->ntabs];
	size_t n = sh->sh_size / sizeof(Elf64_Sym), cap = 0;
	Elf64_Sym chunk[512];
	for (size_t i = 0; i < n; i += 512) {
		size_t k = n - i < 512 ? n - i : 512;
		if (!rd(fd, chunk, k * sizeof *chunk, sh->sh_offset + i * sizeof *chunk))
			break;
		for (size_t j = 0; j < k; j++) {
			const Elf64_Sym *y = &chunk[j];
			int ty = ELF64_ST_TYPE(y->st_info);
			if ((ty != STT_FUNC && ty != STT_GNU_IFUNC) || y->st_shndx == SHN_UNDEF ||
			    !y->st_value || !y->st_name || y->st_name >= strsh->sh_size)
				continue;
			if (t->n == cap) {
				cap = cap ? cap * 2 : 256;
				struct esym *ns = realloc(t->syms, cap * sizeof *ns);
				if (!ns)
					return false;
				t->syms = ns;
			}
			t->syms[t->n++] = (struct esym){ y->st_value,
				y->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)y->st_size, y->st_name };
		}
	}
	if (!t->n) {
		free(t->syms);
		t->syms = NULL;
		return false;
	}
	t->path = path;
	t->str_off = strsh->sh_offset;
	t->str_size = strsh->sh_size;
	t->syms = realloc(t->syms, t->n * sizeof *t->syms);
	qsort(t->syms, t->n, sizeof *t->syms, sym_cmp);
	s->ntabs++;
	return true;
}

/* The ELF header and section headers of fd (*sh malloc'ed, *nsh of them;
 * 0 when the file has none that can be read). */
static bool read_headers(int fd, Elf64_Ehdr *eh, Elf64_Shdr **sh, unsigned *nsh)
{
	*sh = NULL;
	*nsh = 0;
	if (!rd(fd, eh, sizeof *eh, 0) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_shnum > 4096 || eh->e_phnum > 4096)
		return false;
	*sh = calloc(eh->e_shnum + 1u, sizeof **sh);
	if (*sh && rd(fd, *sh, eh->e_shnum * sizeof **sh, eh->e_shoff))
		*nsh = eh->e_shnum;
	return true;
}

/* Bytes of section sh (at most max), malloc'ed and NUL-terminated. */
static uint8_t *section_bytes(int fd, const Elf64_Shdr *sh, size_t max, size_t *n)
{
	*n = sh->sh_size < max ? (size_t)sh->sh_size : max;
	uint8_t *b = calloc(1, *n + 1);
	if (b && !rd(fd, b, *n, sh->sh_offset)) {
		free(b);
		return NULL;
	}
	return b;
}

/* Index the .symtab of the separate debug file of s, found from the
 * build-id note and .gnu_debuglink sections of the stripped file. */
static bool index_debug_file(struct elfsyms *s, int fd, const Elf64_Shdr *idsh,
			     const Elf64_Shdr *linksh)
{
	size_t idn = 0, linkn = 0;
	uint8_t *note = idsh ? section_bytes(fd, idsh, 1024, &idn) : NULL;
	uint8_t *link = linksh ? section_bytes(fd, linksh, 4096, &linkn) : NULL;
	const unsigned char *id = NULL;
	size_t idlen = 0;
	Elf64_Nhdr nh;
	if (note && idn >= sizeof nh) {
		memcpy(&nh, note, sizeof nh);
		size_t desc = sizeof nh + ((nh.n_namesz + 3) & ~3u);
		if (nh.n_type == NT_GNU_BUILD_ID && desc + nh.n_descsz <= idn) {
			id = note + desc;
			idlen = nh.n_descsz;
		}
	}
	/* .gnu_debuglink: the name, NUL, padding to 4, its CRC-32 */
	const char *lname = NULL;
	uint32_t crc = 0;
	size_t crc_at = link ? (strnlen((const char *)link, linkn) + 4) & ~(size_t)3 : 0;
	if (link && crc_at + 4 <= linkn) {
		lname = (const char *)link;
		memcpy(&crc, link + crc_at, 4);
	}
	const char *dbg = debugfile_find(s->path, id, idlen, lname, crc);
	free(note);
	free(link);
	int dfd = dbg ? open(dbg, O_RDONLY | O_CLOEXEC) : -1;
	if (dfd < 0)
		return false;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	unsigned nsh;
	read_headers(dfd, &eh, &sh, &nsh);
	bool found = false;
	for (unsigned i = 0; i < nsh && !found; i++)
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < nsh)
			found = index_symtab(s, dbg, dfd, &sh[i], &sh[sh[i].sh_link]);
	free(sh);
	close(dfd);
	return found;
}

static struct elfsyms *load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	unsigned nsh;
	if (!read_headers(fd, &eh, &sh, &nsh)) {
		free(sh);
		close(fd);
		return NULL;
	}
	struct elfsyms *s = calloc(1, sizeof *s);
	struct seg *segs = calloc(eh.e_phnum + 1u, sizeof *segs);
	if (!s || !segs) {
		free(s);
		free(segs);
		free(sh);
		close(fd);
		return NULL;
	}
	s->path = arena_strdup(path);
	s->pie = eh.e_type == ET_DYN;
	s->segs = segs;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (rd(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph) && ph.p_type == PT_LOAD)
			s->segs[s->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz,
							    ph.p_memsz };
	}
	char *shstr = NULL;
	if (nsh && eh.e_shstrndx < nsh && sh[eh.e_shstrndx].sh_size < (16u << 20)) {
		shstr = calloc(1, sh[eh.e_shstrndx].sh_size + 1);
		if (shstr && !rd(fd, shstr, sh[eh.e_shstrndx].sh_size, sh[eh.e_shstrndx].sh_offset))
			shstr[0] = '\0';
	}
	int symtab = -1, dynsym = -1, build_id = -1, debuglink = -1;
	for (unsigned i = 0; i < nsh; i++) {
		const char *name = shstr && sh[i].sh_name < sh[eh.e_shstrndx].sh_size
					   ? shstr + sh[i].sh_name : "";
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < nsh)
			symtab = (int)i;
		else if (sh[i].sh_type == SHT_DYNSYM && sh[i].sh_link < nsh)
			dynsym = (int)i;
		else if (sh[i].sh_type == SHT_NOTE && !strcmp(name, ".note.gnu.build-id"))
			build_id = (int)i;
		else if (!strcmp(name, ".gnu_debuglink"))
			debuglink = (int)i;
	}
	if (symtab >= 0)
		index_symtab(s, s->path, fd, &sh[symtab], &sh[sh[symtab].sh_link]);
	if (symtab < 0 && dynsym >= 0)
		index_symtab(s, s->path, fd, &sh[dynsym], &sh[sh[dynsym].sh_link]);
	if (symtab < 0 && (build_id >= 0 || debuglink >= 0))
		index_debug_file(s, fd, build_id >= 0 ? &sh[build_id] : NULL,
				 debuglink >= 0 ? &sh[debuglink] : NULL);
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

/* Name of symbol e of table t, read from the file into a static buffer. */
static const char *sym_name(const struct symtab *t, const struct esym *e)
{
	static char buf[4096];
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	uint64_t max = t->str_size - e->name;
	size_t want = max < sizeof buf - 1 ? (size_t)max : sizeof buf - 1;
	ssize_t n = pread(fd, buf, want, (off_t)(t->str_off + e->name));
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The function of t that covers vaddr, or NULL. */
static const struct esym *covering(const struct symtab *t, uint64_t vaddr)
{
	if (!t->n || vaddr < t->syms[0].addr)
		return NULL;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {   /* last symbol with addr <= vaddr */
		size_t mid = (lo + hi) / 2;
		if (t->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* among symbols at the same address prefer one that covers vaddr */
	for (size_t i = lo; i-- > 0 && t->syms[i].addr == t->syms[lo - 1].addr;) {
		const struct esym *e = &t->syms[i];
		if (vaddr < e->addr + (e->size ? e->size : 1))
			return e;
	}
	return NULL;
}

/* The first table's name wins (.dynsym's public names over the debug
 * file's aliases). */
const char *elfsyms_addr(struct elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	for (size_t k = 0; s && k < s->ntabs; k++) {
		const struct esym *e = covering(&s->tabs[k], vaddr);
		if (e) {
			*off = vaddr - e->addr;
			return sym_name(&s->tabs[k], e);
		}
	}
	return NULL;
}

/* Streams t's string table looking for "name\0" (the linker shares
 * suffixes, so a symbol's name may start inside another string), then
 * finds the function whose name offset is one of the hits. */
static bool find_name(const struct symtab *t, const char *name, uint64_t *vaddr, uint64_t *size)
{
	size_t len = strlen(name) + 1;   /* with the NUL */
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	enum { CHUNK = 65536 };
	char *buf = malloc(CHUNK + 4096);
	bool found = false;
	for (uint64_t pos = 0; buf && !found && pos < t->str_size; pos += CHUNK) {
		uint64_t want = t->str_size - pos;
		if (want > CHUNK + len - 1)
			want = CHUNK + len - 1;   /* overlap: a match may straddle chunks */
		ssize_t n = pread(fd, buf, (size_t)want, (off_t)(t->str_off + pos));
		if (n <= 0)
			break;
		for (char *p = buf; !found && (p = memmem(p, (size_t)(buf + n - p), name, len));
		     p++) {
			uint64_t at = pos + (uint64_t)(p - buf);
			for (size_t i = 0; i < t->n; i++) {
				if (t->syms[i].name == at) {
					*vaddr = t->syms[i].addr;
					*size = t->syms[i].size;
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

bool elfsyms_name(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size)
{
	if (!s || strlen(name) >= 4096)
		return false;
	for (size_t k = 0; k < s->ntabs; k++)
		if (find_name(&s->tabs[k], name, vaddr, size))
			return true;
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
