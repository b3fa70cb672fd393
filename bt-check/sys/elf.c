/* elf.c - what bt-check knows about one user binary: ELF type,
 * defined symbols (functions, ifuncs, objects; from .symtab, .dynsym and
 * the separate debug file of a stripped binary), and USDT locations from
 * .note.stapsdt.
 * Read with libelf once per file, kept in struct elf_info, and recorded
 * in (or read back from) a snapshot as one text file per binary.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "debugfile.h"
#include "sys_int.h"

#define ELF_SNAP_MAGIC "bt-elf 1"

/* Snapshot key of a binary: "elf" + absolute path + ".elf"; relative
 * paths get "elf/rel/" and ".." components become "%2e%2e". */
static const char *elf_key(const char *path)
{
	char *buf = arena_alloc(strlen(path) * 3 + 32);
	strcpy(buf, path[0] == '/' ? "elf" : "elf/rel/");
	char *o = buf + strlen(buf);
	for (const char *p = path; *p; p++) {
		bool comp_start = p == path || p[-1] == '/';
		if (comp_start && p[0] == '.' && p[1] == '.' &&
		    (p[2] == '/' || !p[2])) {
			strcpy(o, "%2e%2e");
			o += 6;
			p++;
			continue;
		}
		*o++ = *p;
	}
	strcpy(o, ".elf");
	return buf;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void sort_syms(struct elf_info *e)
{
	if (e->syms.n < 2)
		return;
	qsort(e->syms.v, e->syms.n, sizeof e->syms.v[0], cmp_sym);
	size_t w = 1;
	for (size_t i = 1; i < e->syms.n; i++) {
		struct elf_sym *p = &e->syms.v[w - 1], *c = &e->syms.v[i];
		if (strcmp(p->name, c->name) == 0 && p->addr == c->addr)
			continue;
		e->syms.v[w++] = *c;
	}
	e->syms.n = w;
}

/* ---- reading with libelf ---- */

static void read_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh,
			struct elf_info *e)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !sh->sh_entsize)
		return;
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_name)
			continue;
		char kind;
		switch (GELF_ST_TYPE(sym.st_info)) {
		case STT_FUNC: kind = 'F'; break;
		case STT_GNU_IFUNC: kind = 'I'; break;
		case STT_OBJECT: kind = 'O'; break;
		default: continue;
		}
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		struct elf_sym es = { arena_strdup(name), sym.st_value,
				      sym.st_size, kind };
		VEC_PUSH(&e->syms, es);
	}
}

/* vaddr -> file offset through the PT_LOAD segments (0 if unmapped). */
static uint64_t vaddr_to_off(Elf *elf, uint64_t vaddr)
{
	size_t n;
	if (elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/* .note.stapsdt: desc = pc, base, semaphore (word-sized), then provider,
 * name and argument strings.  Addresses are relative to the link-time
 * .stapsdt.base; adjust by where that section really is (prelink). */
static void read_stapsdt(Elf *elf, Elf_Scn *scn, uint64_t base_addr,
			 bool have_base, struct elf_info *e)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data)
		return;
	size_t word = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != 3 || nh.n_namesz != 8 ||
		    memcmp((char *)data->d_buf + name_off, "stapsdt", 8) != 0)
			continue;
		const char *d = (const char *)data->d_buf + desc_off;
		size_t dl = nh.n_descsz;
		if (dl < 3 * word)
			continue;
		uint64_t v[3] = { 0 };
		for (int i = 0; i < 3; i++) {
			if (word == 8) {
				memcpy(&v[i], d + i * 8, 8);
			} else {
				uint32_t x;
				memcpy(&x, d + i * 4, 4);
				v[i] = x;
			}
		}
		const char *p = d + 3 * word, *end = d + dl;
		const char *strs[3] = { "", "", "" };
		for (int i = 0; i < 3 && p < end; i++) {
			const char *z = memchr(p, 0, (size_t)(end - p));
			if (!z)
				break;
			strs[i] = arena_strndup(p, (size_t)(z - p));
			p = z + 1;
		}
		struct usdt_loc u = { .provider = strs[0], .name = strs[1],
				      .args = strs[2], .pc = v[0],
				      .sema = v[2] };
		if (have_base) {
			u.pc += base_addr - v[1];
			if (u.sema)
				u.sema += base_addr - v[1];
		}
		u.pc_off = vaddr_to_off(elf, u.pc);
		u.sema_off = u.sema ? vaddr_to_off(elf, u.sema) : 0;
		VEC_PUSH(&e->usdt, u);
	}
}

/* Where a stripped binary's debug file is named: its build id and its
 * .gnu_debuglink (libcommon/debugfile.h). */
struct debug_ref {
	const unsigned char *id;
	size_t nid;
	const char *link;
	uint32_t crc;
};

static bool read_elf_file(const char *path, struct elf_info *e, struct debug_ref *dbg,
			  bool *have_symtab)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return false;
	}
	e->etype = eh.e_type;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		shstrndx = 0;
	Elf_Scn *scn = NULL, *stapsdt = NULL;
	uint64_t base_addr = 0;
	bool have_base = false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
			if (sh.sh_type == SHT_SYMTAB)
				*have_symtab = true;
			read_symtab(elf, scn, &sh, e);
		} else if (name && strcmp(name, ".note.stapsdt") == 0) {
			stapsdt = scn;
		} else if (name && strcmp(name, ".stapsdt.base") == 0) {
			base_addr = sh.sh_addr;
			have_base = true;
		} else if (dbg && sh.sh_type == SHT_NOTE && name &&
			   strcmp(name, ".note.gnu.build-id") == 0) {
			Elf_Data *data = elf_getdata(scn, NULL);
			GElf_Nhdr nh;
			size_t no, doff;
			if (data && gelf_getnote(data, 0, &nh, &no, &doff) &&
			    nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz > 1) {
				dbg->id = arena_memdup((const char *)data->d_buf + doff,
						       nh.n_descsz);
				dbg->nid = nh.n_descsz;
			}
		} else if (dbg && name && strcmp(name, ".gnu_debuglink") == 0) {
			/* the file name, NUL, padding to 4, its CRC-32 */
			Elf_Data *data = elf_getdata(scn, NULL);
			size_t len = data ? strnlen(data->d_buf, data->d_size) : 0;
			size_t at = (len + 4) & ~(size_t)3;
			if (data && at + 4 <= data->d_size) {
				dbg->link = arena_strndup(data->d_buf, len);
				memcpy(&dbg->crc, (const char *)data->d_buf + at, 4);
			}
		}
	}
	if (stapsdt)
		read_stapsdt(elf, stapsdt, base_addr, have_base, e);
	elf_end(elf);
	close(fd);
	return true;
}

static bool load_live(const char *path, struct elf_info *e)
{
	elf_version(EV_CURRENT);
	struct debug_ref ref = { 0 };
	bool have_symtab = false;
	if (!read_elf_file(path, e, &ref, &have_symtab))
		return false;
	if (ref.nid) {
		char *hex = arena_alloc(ref.nid * 2 + 1);
		for (size_t i = 0; i < ref.nid; i++)
			sprintf(hex + 2 * i, "%02x", ref.id[i]);
		e->build_id = hex;
	}
	/* By mode bits, not access(2): access() drops capabilities for a
	 * non-root real uid, and the driver runs bt-check as nobody with
	 * CAP_DAC_READ_SEARCH. */
	struct stat st;
	e->exec = stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		  (st.st_mode & 0111);
	/* Stripped binary: the symbols may be in a separate debug file. */
	const char *dbg = have_symtab ? NULL
				      : debugfile_find(path, ref.id, ref.nid, ref.link, ref.crc);
	if (dbg) {
		struct elf_info d = { 0 };
		bool dummy;
		if (read_elf_file(dbg, &d, NULL, &dummy))
			for (size_t i = 0; i < d.syms.n; i++)
				VEC_PUSH(&e->syms, d.syms.v[i]);
	}
	sort_syms(e);
	return true;
}

/* ---- the snapshot text form ---- */

static char *elf_to_text(const struct elf_info *e, size_t *len)
{
	size_t cap = 256 + (e->build_id ? strlen(e->build_id) : 0), n = 0;
	for (size_t i = 0; i < e->syms.n; i++)
		cap += strlen(e->syms.v[i].name) + 48;
	for (size_t i = 0; i < e->usdt.n; i++)
		cap += strlen(e->usdt.v[i].provider) +
		       strlen(e->usdt.v[i].name) + strlen(e->usdt.v[i].args) +
		       120;
	char *buf = arena_alloc(cap);
#define PUT(...) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__)
	PUT("%s\ntype %d\nexec %d\n", ELF_SNAP_MAGIC, e->etype, e->exec);
	if (e->build_id)
		PUT("buildid %s\n", e->build_id);
	for (size_t i = 0; i < e->syms.n; i++)
		PUT("sym %c 0x%" PRIx64 " %" PRIu64 " %s\n", e->syms.v[i].kind,
		    e->syms.v[i].addr, e->syms.v[i].size, e->syms.v[i].name);
	for (size_t i = 0; i < e->usdt.n; i++) {
		const struct usdt_loc *u = &e->usdt.v[i];
		PUT("usdt %s %s 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
		    " 0x%" PRIx64 " %s\n",
		    u->provider, u->name, u->pc, u->pc_off, u->sema,
		    u->sema_off, u->args);
	}
#undef PUT
	*len = n;
	return buf;
}

static bool elf_from_text(const char *text, struct elf_info *e)
{
	strvec lines = { 0 };
	sys_split_lines(text, &lines);
	if (!lines.n || strcmp(lines.v[0], ELF_SNAP_MAGIC) != 0)
		return false;
	for (size_t i = 1; i < lines.n; i++) {
		const char *l = lines.v[i];
		if (!strncmp(l, "type ", 5)) {
			e->etype = atoi(l + 5);
		} else if (!strncmp(l, "exec ", 5)) {
			e->exec = atoi(l + 5) != 0;
		} else if (!strncmp(l, "buildid ", 8)) {
			e->build_id = arena_strdup(l + 8);
		} else if (!strncmp(l, "sym ", 4) && l[4] && l[5] == ' ') {
			struct elf_sym es = { .kind = l[4] };
			char *end;
			es.addr = strtoull(l + 6, &end, 0);
			es.size = strtoull(end, &end, 10);
			if (*end != ' ')
				continue;
			es.name = arena_strdup(end + 1);
			VEC_PUSH(&e->syms, es);
		} else if (!strncmp(l, "usdt ", 5)) {
			char prov[256], name[256];
			uint64_t v[4];
			int used = 0;
			if (sscanf(l + 5, "%255s %255s %" SCNx64 " %" SCNx64
				   " %" SCNx64 " %" SCNx64 " %n",
				   prov, name, &v[0], &v[1], &v[2], &v[3],
				   &used) < 6)
				continue;
			struct usdt_loc u = {
				.provider = arena_strdup(prov),
				.name = arena_strdup(name),
				.args = arena_strdup(l + 5 + used),
				.pc = v[0], .pc_off = v[1],
				.sema = v[2], .sema_off = v[3],
			};
			VEC_PUSH(&e->usdt, u);
		}
	}
	sort_syms(e);
	return true;
}

struct elf_info *sys_elf(struct sys *s, const char *path)
{
	for (size_t i = 0; i < s->elves.n; i++)
		if (strcmp(s->elves.v[i]->path, path) == 0)
			return s->elves.v[i]->etype ? s->elves.v[i] : NULL;
	struct elf_info *e = ARENA_NEW(struct elf_info);
	e->path = arena_strdup(path);
	VEC_PUSH(&s->elves, e);
	const char *key = elf_key(path);
	bool ok;
	if (s->sysroot) {
		char *text = sys_snap_read(s, key, NULL);
		ok = text && elf_from_text(text, e);
	} else {
		ok = load_live(path, e);
	}
	if (!ok || !e->etype) {
		e->etype = 0;
		return NULL;
	}
	size_t len;
	char *text = elf_to_text(e, &len);
	sys_src_note_full(s, key, text, len);
	return e;
}

const struct elf_sym *sys_elf_find(const struct elf_info *e, const char *name)
{
	size_t lo = 0, hi = e->syms.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(e->syms.v[mid].name, name);
		if (c == 0) {
			while (mid > 0 &&
			       strcmp(e->syms.v[mid - 1].name, name) == 0)
				mid--;
			return &e->syms.v[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
