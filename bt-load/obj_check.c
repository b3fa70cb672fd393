/* obj_check.c - an object is untrusted input to a root process.
 *
 * Before anything is created in the kernel or a -c command is started,
 * obj_check() decides from the object itself, not from what its metadata
 * claims:
 *   - the ELF is a BPF object whose code sections hold whole instructions;
 *     each probe of the metadata has its program (plus the setup program
 *     of a watchpoint), in a section of its probe's kind; other programs
 *     are never loaded (obj_prog_declared, used by load.c);
 *   - every helper the code calls is one bt-codegen emits; the unsafe ones
 *     (signal(), override(), writes to user memory) need bt-load --unsafe,
 *     and the metadata must say the program was compiled with --unsafe;
 *   - the action records it declares are sane (sizes, argument layouts,
 *     map ids); system() and cat() of a path chosen at run time need
 *     bt-load --unsafe.
 * The run-time side (ringbuf.c) acts only on records the metadata declares.
 * Refusals: bad input (malformed, or metadata that does not match the code)
 * is one "bt-load: ERROR: obj stream: ..." line; an unsafe capability
 * without --unsafe is bpftrace's "... is an unsafe function being used in
 * safe mode".  Both exit 1 (main.c).
 */
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "tool.h"
#include "strindex.h"

/* Helpers bt-codegen emits (bt-codegen/helpers.c says to keep this list
 * in step), plus read-only tracing helpers it may come to use. */
static const int safe_helpers[] = {
	BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem, BPF_FUNC_map_delete_elem,
	BPF_FUNC_probe_read, BPF_FUNC_ktime_get_ns, BPF_FUNC_trace_printk,
	BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id,
	BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_uid_gid,
	BPF_FUNC_get_current_comm, BPF_FUNC_perf_event_output, BPF_FUNC_get_stackid,
	BPF_FUNC_get_current_task, BPF_FUNC_probe_read_str,
	BPF_FUNC_get_current_cgroup_id, BPF_FUNC_get_numa_node_id,
	BPF_FUNC_get_stack, BPF_FUNC_get_current_ancestor_cgroup_id,
	BPF_FUNC_probe_read_user, BPF_FUNC_probe_read_kernel,
	BPF_FUNC_probe_read_user_str, BPF_FUNC_probe_read_kernel_str,
	BPF_FUNC_jiffies64, BPF_FUNC_get_ns_current_pid_tgid,
	BPF_FUNC_ringbuf_output, BPF_FUNC_ringbuf_reserve, BPF_FUNC_ringbuf_submit,
	BPF_FUNC_ringbuf_discard, BPF_FUNC_ringbuf_query, BPF_FUNC_skb_output,
	BPF_FUNC_seq_printf, BPF_FUNC_d_path, BPF_FUNC_get_current_task_btf,
	BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_for_each_map_elem, BPF_FUNC_snprintf,
	BPF_FUNC_get_func_ip, BPF_FUNC_get_attach_cookie, BPF_FUNC_loop,
	BPF_FUNC_strncmp, BPF_FUNC_get_func_arg, BPF_FUNC_get_func_ret,
	BPF_FUNC_get_func_arg_cnt, BPF_FUNC_ktime_get_tai_ns,
	BPF_FUNC_copy_from_user, BPF_FUNC_copy_from_user_task,
	BPF_FUNC_ktime_get_coarse_ns, BPF_FUNC_find_vma,
};

/* Helpers bpftrace gates behind --unsafe, by the builtin that uses them. */
static const struct {
	int id;
	const char *what;
} unsafe_helpers[] = {
	{ BPF_FUNC_send_signal, "signal()" },
	{ BPF_FUNC_send_signal_thread, "signal()" },
	{ BPF_FUNC_override_return, "override()" },
	{ BPF_FUNC_probe_write_user, "bpf_probe_write_user()" },
};

/* Largest action record bt-load accepts (a printf of many strings fits). */
#define MAX_RECORD_SIZE (1u << 20)

struct objc {
	struct bt *bt;
	Elf *e;
	size_t shstrndx;
	const char *unsafe_use;   /* first unsafe capability found */
	bool *seen;               /* by probe: its program was found */
};

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tool_vline("bt-load: ERROR: obj stream: ", fmt, ap);
	va_end(ap);
}

static bool is_safe_helper(int id)
{
	for (size_t i = 0; i < sizeof safe_helpers / sizeof *safe_helpers; i++)
		if (safe_helpers[i] == id)
			return true;
	return false;
}

static const char *unsafe_helper(int id)
{
	for (size_t i = 0; i < sizeof unsafe_helpers / sizeof *unsafe_helpers; i++)
		if (unsafe_helpers[i].id == id)
			return unsafe_helpers[i].what;
	return NULL;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0;
}

/* The probes by program name: index + 1 of the first probe of each name,
 * then the next probe of the same name (a lookup costs the same for 10
 * probes or 100,000). */
static struct strindex g_by_prog;
static uint32_t *g_next_same;
static bool g_indexed;

static void index_probes(struct meta *m)
{
	if (g_indexed)
		return;
	g_indexed = true;
	g_next_same = arena_alloc(sizeof *g_next_same * (m->probes.n + 1));
	for (size_t i = m->probes.n; i-- > 0;) {
		const char *prog = m->probes.v[i].prog;
		if (!prog)
			continue;
		g_next_same[i] = (uint32_t)(uintptr_t)strindex_get(&g_by_prog, prog);
		strindex_put(&g_by_prog, prog, (void *)(uintptr_t)(i + 1));
	}
}

/* The first probe whose program is named name, as index + 1 (0: none);
 * the others follow through g_next_same. */
static uint32_t first_probe_of(struct meta *m, const char *name)
{
	index_probes(m);
	return (uint32_t)(uintptr_t)strindex_get(&g_by_prog, name);
}

/* The probe whose program is named name (or, with wp_setup, whose
 * watchpoint setup program is), or NULL. */
static const struct meta_probe *probe_of_prog(struct meta *m, const char *name, bool *wp_setup)
{
	*wp_setup = false;
	uint32_t k = first_probe_of(m, name);
	if (k)
		return &m->probes.v[k - 1];
	if (!has_suffix(name, "_wp_setup"))
		return NULL;
	char *base = arena_strndup(name, strlen(name) - strlen("_wp_setup"));
	for (k = first_probe_of(m, base); k; k = g_next_same[k - 1]) {
		const struct meta_probe *p = &m->probes.v[k - 1];
		if (p->type == PT_WATCHPOINT || p->type == PT_ASYNCWATCHPOINT) {
			*wp_setup = true;
			return p;
		}
	}
	return NULL;
}

bool obj_prog_declared(struct bt *bt, const char *name)
{
	bool wp_setup;
	return probe_of_prog(&bt->meta, name, &wp_setup) != NULL;
}

/* Section kinds (the part before '/') a probe type's program may be in. */
static bool section_fits(enum probe_type t, const char *sec, bool wp_setup)
{
	size_t n = strcspn(sec, "/");
	const char *kinds;
	if (wp_setup)
		kinds = "uprobe uprobe.multi";
	else
		switch (t) {
		case PT_BEGIN: case PT_END: kinds = "raw_tp"; break;
		case PT_TRACEPOINT: kinds = "tracepoint raw_tp tp_btf"; break;
		case PT_RAWTRACEPOINT: kinds = "raw_tp tp_btf"; break;
		/* one program type (kprobe) for all: the attach makes it a
		 * return probe or a user one */
		case PT_KPROBE: case PT_KRETPROBE: case PT_UPROBE: case PT_URETPROBE:
		case PT_USDT:
			kinds = "kprobe kretprobe kprobe.multi kretprobe.multi ksyscall "
				"kretsyscall uprobe uretprobe uprobe.multi uretprobe.multi usdt";
			break;
		case PT_PROFILE: case PT_INTERVAL: case PT_SOFTWARE: case PT_HARDWARE:
		case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT: kinds = "perf_event"; break;
		case PT_KFUNC: kinds = "fentry fentry.s"; break;
		case PT_KRETFUNC: kinds = "fexit fexit.s"; break;
		case PT_ITER: kinds = "iter iter.s"; break;
		default: return false;
		}
	for (const char *k = kinds; *k;) {
		size_t kn = strcspn(k, " ");
		if (kn == n && !strncmp(k, sec, n))
			return true;
		k += kn + (k[kn] == ' ');
	}
	return false;
}

/* The watchpoint setup program stops its own task with SIGSTOP: the one
 * send_signal call allowed without --unsafe, when r1 was just set to 19. */
static bool is_setup_sigstop(const struct bpf_insn *in, size_t i, bool wp_setup)
{
	if (!wp_setup)
		return false;
	for (size_t j = i; j-- > 0;) {
		if (in[j].dst_reg != BPF_REG_1 || BPF_CLASS(in[j].code) == BPF_STX ||
		    BPF_CLASS(in[j].code) == BPF_ST || BPF_CLASS(in[j].code) == BPF_JMP)
			continue;
		return (in[j].code == (BPF_ALU64 | BPF_MOV | BPF_K) ||
			in[j].code == (BPF_ALU | BPF_MOV | BPF_K)) &&
		       in[j].imm == SIGSTOP;
	}
	return false;
}

/* Scan one function's instructions [from, to) for the helpers it calls. */
static bool scan_code(struct objc *c, const char *sec, const char *fn, const struct bpf_insn *in,
		      size_t from, size_t to, bool wp_setup)
{
	for (size_t i = from; i < to; i++) {
		uint8_t code = in[i].code;
		if (code == (BPF_LD | BPF_IMM | BPF_DW)) {
			i++;   /* a 16-byte instruction */
			continue;
		}
		if (BPF_CLASS(code) != BPF_JMP && BPF_CLASS(code) != BPF_JMP32)
			continue;
		if (BPF_OP(code) != BPF_CALL)
			continue;
		if (code != (BPF_JMP | BPF_CALL)) {
			bad("'%s' in section '%s' has an invalid call instruction", fn, sec);
			return false;
		}
		if (in[i].src_reg == BPF_PSEUDO_CALL)
			continue;   /* to a function of this object, scanned too */
		if (in[i].src_reg != 0) {
			bad("'%s' in section '%s' calls a kernel function (kfunc), which "
			    "bt-codegen never emits", fn, sec);
			return false;
		}
		const char *unsafe = unsafe_helper(in[i].imm);
		if (unsafe) {
			if (in[i].imm == BPF_FUNC_send_signal && is_setup_sigstop(in, i, wp_setup))
				continue;
			if (!c->bt->meta.cfg.unsafe) {
				bad("'%s' calls the unsafe helper %d (%s) but the metadata says "
				    "it was compiled without --unsafe", fn, in[i].imm, unsafe);
				return false;
			}
			if (!c->unsafe_use)
				c->unsafe_use = unsafe;
			continue;
		}
		if (!is_safe_helper(in[i].imm)) {
			bad("'%s' calls BPF helper %d, which bt-codegen never emits", fn, in[i].imm);
			return false;
		}
	}
	return true;
}

/* A code section of the object. */
struct code_sec {
	const char *name;
	const struct bpf_insn *in;
	size_t nin, covered;
};

/* Every function symbol of every code section of one object: a program
 * of the metadata (in a section of its kind) or a subprogram in .text;
 * its instructions scanned.  One pass over the symbols. */
static bool check_code(struct objc *c)
{
	struct meta *m = &c->bt->meta;
	Elf_Scn *symscn = NULL;
	GElf_Shdr symsh;
	size_t nsecs = 0;
	if (elf_getshdrnum(c->e, &nsecs) != 0) {
		bad("the BPF object has no section table");
		return false;
	}
	for (Elf_Scn *s = NULL; (s = elf_nextscn(c->e, s));)
		if (gelf_getshdr(s, &symsh) && symsh.sh_type == SHT_SYMTAB) {
			symscn = s;
			break;
		}
	Elf_Data *syms = symscn ? elf_getdata(symscn, NULL) : NULL;
	if (!syms || !symsh.sh_entsize) {
		bad("the BPF object has no symbol table");
		return false;
	}
	size_t nsyms = symsh.sh_size / symsh.sh_entsize;
	struct code_sec *code = arena_alloc(sizeof *code * (nsecs + 1));
	for (Elf_Scn *s = NULL; (s = elf_nextscn(c->e, s));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		const char *sec = elf_strptr(c->e, c->shstrndx, sh.sh_name);
		Elf_Data *d = elf_getdata(s, NULL);
		if (!sec || !d || (sh.sh_size && !d->d_buf) || d->d_size != sh.sh_size ||
		    sh.sh_size % sizeof(struct bpf_insn)) {
			bad("code section '%s' is not made of whole instructions", sec ? sec : "?");
			return false;
		}
		size_t idx = elf_ndxscn(s);
		if (idx >= nsecs)
			continue;
		code[idx] = (struct code_sec){ sec, d->d_buf, d->d_size / sizeof(struct bpf_insn), 0 };
	}
	for (size_t k = 0; k < nsyms; k++) {
		GElf_Sym sym;
		if (!gelf_getsym(syms, (int)k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx >= nsecs || !code[sym.st_shndx].name)
			continue;
		struct code_sec *cs = &code[sym.st_shndx];
		const char *sec = cs->name;
		uint64_t size = cs->nin * sizeof(struct bpf_insn);
		const char *fn = elf_strptr(c->e, symsh.sh_link, sym.st_name);
		if (!fn || sym.st_value % 8 || sym.st_size % 8 ||
		    sym.st_value > size || sym.st_size > size - sym.st_value) {
			bad("function '%s' lies outside its section '%s'", fn ? fn : "?", sec);
			return false;
		}
		bool wp_setup = false;
		if (strcmp(sec, ".text") != 0) {
			const struct meta_probe *p = probe_of_prog(m, fn, &wp_setup);
			if (!p)
				continue;   /* never loaded (load.c) */
			/* the probe, or every probe of this program name */
			uint32_t i = (uint32_t)(p - m->probes.v) + 1;
			for (; i; i = wp_setup ? 0 : g_next_same[i - 1]) {
				const struct meta_probe *q = &m->probes.v[i - 1];
				if (!section_fits(q->type, sec, wp_setup)) {
					bad("program '%s' of a %s probe is in section '%s'",
					    fn, probe_type_name(q->type), sec);
					return false;
				}
				if (!wp_setup)
					c->seen[i - 1] = true;
			}
		}
		if (!scan_code(c, sec, fn, cs->in, sym.st_value / 8,
			       (sym.st_value + sym.st_size) / 8, wp_setup))
			return false;
		cs->covered += sym.st_size / 8;
	}
	/* code outside any function would still be loaded */
	for (size_t i = 0; i < nsecs; i++)
		if (code[i].name && code[i].covered < code[i].nin && !strcmp(code[i].name, ".text") &&
		    !scan_code(c, code[i].name, code[i].name, code[i].in, 0, code[i].nin, false))
			return false;
	return true;
}

/* Each probe of the metadata has its program in one of the objects. */
static bool all_probes_seen(struct objc *c)
{
	struct meta *m = &c->bt->meta;
	for (size_t i = 0; i < m->probes.n; i++)
		if (!c->seen[i]) {
			bad("probe '%s': its program '%s' is not in the BPF object",
			    m->probes.v[i].name, m->probes.v[i].prog);
			return false;
		}
	return true;
}

static bool fmts_ok(const char *what, const struct meta_fmt *fmts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct meta_fmt *f = &fmts[i];
		if (f->size < 8 || f->size > MAX_RECORD_SIZE) {
			bad("%s format %zu: record size %u out of range", what, i, f->size);
			return false;
		}
		for (uint32_t a = 0; a < f->nargs; a++)
			if (f->args[a].offset < 8 ||
			    (uint64_t)f->args[a].offset + f->args[a].type->size > f->size) {
				bad("%s format %zu: argument %u outside the record", what, i, a);
				return false;
			}
	}
	return true;
}

/* The metadata alone: sizes, ids, and what it declares. */
static bool check_meta(struct objc *c)
{
	struct meta *m = &c->bt->meta;
	for (size_t i = 0; i < m->maps.n; i++)
		if (m->maps.v[i].id != i) {
			bad("map '%s' has id %u at index %zu", m->maps.v[i].name, m->maps.v[i].id, i);
			return false;
		}
	for (size_t i = 0; i < m->probes.n; i++) {
		const struct meta_probe *p = &m->probes.v[i];
		for (uint32_t a = 0; a < p->nattach; a++)
			if (!p->attach[a].ap || !p->attach[a].name) {
				bad("probe '%s' has an attach point without its description",
				    p->name);
				return false;
			}
	}
	if (!fmts_ok("printf", m->printfs.v, m->printfs.n) ||
	    !fmts_ok("system", m->systems.v, m->systems.n) ||
	    !fmts_ok("cat", m->cats.v, m->cats.n))
		return false;
	if (m->systems.n && !m->cfg.unsafe) {
		bad("system() is declared but the metadata says the program was compiled "
		    "without --unsafe");
		return false;
	}
	if (m->systems.n && !c->unsafe_use)
		c->unsafe_use = "system()";
	for (size_t i = 0; i < m->cats.n && !c->unsafe_use; i++)
		if (m->cats.v[i].nargs)
			c->unsafe_use = "cat() with a path chosen at run time";
	return true;
}

int obj_check(struct bt *bt)
{
	struct objc c = { .bt = bt };
	elf_version(EV_CURRENT);
	c.seen = arena_alloc(bt->meta.probes.n + 1);
	if (!check_meta(&c))
		return -1;
	for (uint32_t i = 0; i < bt->nparts; i++) {
		c.e = elf_memory((char *)bt->parts[i].elf, bt->parts[i].size);
		GElf_Ehdr eh;
		if (!c.e || elf_kind(c.e) != ELF_K_ELF || !gelf_getehdr(c.e, &eh) ||
		    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF ||
		    elf_getshdrstrndx(c.e, &c.shstrndx) != 0) {
			bad("the object is not a 64-bit BPF ELF");
			if (c.e)
				elf_end(c.e);
			return -1;
		}
		bool ok = check_code(&c);
		elf_end(c.e);
		if (!ok)
			return -1;
	}
	if (!all_probes_seen(&c))
		return -1;
	if (c.unsafe_use && !bt->o.unsafe) {
		bt_error("%s is an unsafe function being used in safe mode", c.unsafe_use);
		return -1;
	}
	return 0;
}
