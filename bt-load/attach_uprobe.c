/* attach_uprobe.c - uprobe/uretprobe (function, function+offset, address)
 * and usdt (one uprobe per location, the semaphore activated through the
 * kernel's uprobe reference counter).  Targets come resolved from
 * bt-check (full paths); symbols are looked up here only to turn them
 * into file offsets.  -p/-c restrict the probes to the target process.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

static pid_t uprobe_pid(struct bt *bt)
{
	return bt->target_pid ? bt->target_pid : -1;
}

/* The attach point's binary, or the traced process's when it names none. */
static const char *target_path(struct bt *bt, const char *path, char *buf, size_t n)
{
	return path && *path ? path : target_binary(bt, buf, n);
}

/* function+offset must be the start of an instruction: refused in safe
 * mode, a warning with --unsafe. */
static int check_boundary(struct bt *bt, uint32_t p, uint32_t a, struct elfsyms *es,
			  const char *path, const char *sym, uint64_t sym_addr, uint64_t off)
{
	if (off == 0)
		return 0;
	bool safe = !bt->o.unsafe;
	/* the function's bytes up to the instruction that holds off */
	enum insn_place at = INSN_UNKNOWN;
	uint8_t *code = off <= (1u << 24) ? malloc((size_t)off + 16) : NULL;
	ssize_t got = code ? elfsyms_read(es, sym_addr, code, (size_t)off + 16) : -1;
	if (got > 0)
		at = insn_place(code, (size_t)got, off);
	free(code);
	unsigned long long o = (unsigned long long)off;
	if (at == INSN_MIDDLE && safe)
		return attach_fail(bt, p, a, "Could not add uprobe into middle of instruction: %s:%s+%llu",
				   path, sym, o);
	if (at == INSN_MIDDLE)
		bt_warn(bt, "Unsafe uprobe in the middle of the instruction: %s:%s+%llu", path, sym, o);
	if (at == INSN_UNKNOWN && safe)
		return attach_fail(bt, p, a, "Failed to check if uprobe is in proper place: %s:%s+%llu",
				   path, sym, o);
	if (at == INSN_UNKNOWN)
		bt_warn(bt, "Unchecked uprobe: %s:%s+%llu", path, sym, o);
	return 0;
}

/* bpftrace's placement checks (docs/bpftrace-compat.md "uprobes"): without
 * --unsafe a uprobe must land inside a function whose bounds are known; with
 * it, only warnings, but an offset beyond a known size is refused either way.
 */
static int check_placement(struct bt *bt, uint32_t p, uint32_t a, struct elfsyms *es,
			   const char *path, uint64_t vaddr)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct attach_point *ap = mp->attach[a].ap;
	bool safe = !bt->o.unsafe, ret = mp->type == PT_URETPROBE;
	uint64_t sym_addr, size;
	if (ap->func && *ap->func) {
		if (!elfsyms_name(es, ap->func, &sym_addr, &size))
			return attach_fail(bt, p, a, "Could not resolve symbol: %s:%s", path, ap->func);
		if (ret && ap->func_offset)
			return attach_fail(bt, p, a,
					   "uretprobes cannot be attached at function offset. "
					   "(address resolved to: %s+%llu)", ap->func,
					   (unsigned long long)ap->func_offset);
		if (size == 0 && ap->func_offset == 0) {
			if (!safe)
				return 0;
			if (!from_wildcard(mp, a))
				return attach_fail(bt, p, a,
						   "Could not determine boundary for %s (symbol has "
						   "size 0). Use --unsafe to force attachment.", ap->func);
			bt_warn(bt, "Could not determine boundary for %s (symbol has size 0). "
				"Skipping attachment (use --unsafe to force attachment).", ap->func);
			return -2;
		}
		if (ap->func_offset >= size)
			return attach_fail(bt, p, a,
					   "Offset outside the function bounds ('%s' size is %llu)",
					   ap->func, (unsigned long long)size);
		return check_boundary(bt, p, a, es, path, ap->func, sym_addr, ap->func_offset);
	}
	uint64_t off = 0;
	const char *sym = elfsyms_addr(es, vaddr, &off);
	if (!sym && safe)
		return attach_fail(bt, p, a, "Could not resolve address: %s:0x%llx", path,
				   (unsigned long long)vaddr);
	if (!sym)
		bt_warn(bt, "Could not determine instruction boundary for %s (binary appears "
			"stripped). Misaligned probes can lead to tracee crashes!",
			ap->raw ? ap->raw : mp->name);
	if (sym && ret && off)
		return attach_fail(bt, p, a,
				   "uretprobes cannot be attached at function offset. "
				   "(address resolved to: %s+%llu)", sym, (unsigned long long)off);
	return sym ? check_boundary(bt, p, a, es, path, sym, vaddr - off, off) : 0;
}

/* One uprobe link for program p at file offset off of path (semaphore:
 * the reference counter's file offset, 0 if none). */
static int attach_uprobe_link(struct bt *bt, uint32_t p, const struct meta_attach *m,
			      const char *path, uint64_t off, uint64_t semaphore, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret, .ref_ctr_offset = (size_t)semaphore,
		    .bpf_cookie = m->cookie);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog_of(bt, p), uprobe_pid(bt), path,
							     (size_t)off, &o);
	if (!l)
		return -1;
	hold_perf_link(bt, p, l);
	return 0;
}

int attach_uprobe(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	char buf[64];
	const char *path = ap ? target_path(bt, ap->target, buf, sizeof buf) : NULL;
	if (!path)
		return -1;
	struct elfsyms *es = elfsyms_get(path);
	if (!es)
		return attach_fail(bt, p, a, "Could not open %s: %s", path, strerror(errno));
	uint64_t vaddr = ap->address, size;
	if (check_placement(bt, p, a, es, path, vaddr) < 0)
		return -2;
	if (ap->func && *ap->func) {
		elfsyms_name(es, ap->func, &vaddr, &size);
		vaddr += ap->func_offset;
	}
	uint64_t off = elfsyms_file_offset(es, vaddr);
	if (off == (uint64_t)-1)
		return attach_fail(bt, p, a, "Could not resolve address: %s:0x%llx", path,
				   (unsigned long long)vaddr);
	return attach_uprobe_link(bt, p, m, path, off, 0, mp->type == PT_URETPROBE);
}

/* A usdt attach point is one probe site: bt-check read the binary's
 * .note.stapsdt and put the site's file offset and its semaphore's (0:
 * none) in the attach point.  The site must lie in the file's code. */
int attach_usdt(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	char buf[64];
	const char *path = ap ? target_path(bt, ap->target, buf, sizeof buf) : NULL;
	if (!path || !ap->func)
		return -1;
	struct elfsyms *es = elfsyms_get(path);
	if (!ap->usdt_offset || !es ||
	    elfsyms_vaddr_of_offset(es, ap->usdt_offset) == (uint64_t)-1)
		return attach_fail(bt, p, a, "Could not find USDT probe %s:%s:%s", path,
				   ap->ns ? ap->ns : "", ap->func);
	return attach_uprobe_link(bt, p, m, path, ap->usdt_offset, ap->usdt_sema, false);
}

/* ---- uprobe_multi (kernel 6.6): one link for many functions of a binary ----
 * This libbpf (1.1) predates it, so the program gets the expected attach
 * type before load and the link is created with the raw syscall. */

#define BT_TRACE_UPROBE_MULTI 48      /* enum bpf_attach_type */
#define BT_F_UPROBE_MULTI_RETURN 1u

struct uprobe_multi_attr {            /* union bpf_attr, link_create part */
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, uflags, pid, pad;
};

static bool uprobe_multi_supported(void)
{
	static int cached = -1;
	if (cached < 0) {
		const struct bpf_insn ret0[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		LIBBPF_OPTS(bpf_prog_load_opts, o,
			    .expected_attach_type = (enum bpf_attach_type)BT_TRACE_UPROBE_MULTI);
		int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &o);
		cached = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return cached;
}

void uprobe_multi_prepare(struct bt *bt)
{
	size_t n = bt->meta.probes.n;
	bt->multi = arena_alloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		const struct meta_probe *mp = &bt->meta.probes.v[i];
		/* a block that reads `probe` is attached per function, as
		 * bpftrace expands it */
		if ((mp->type != PT_UPROBE && mp->type != PT_URETPROBE) || mp->nattach < 2 ||
		    mp->expand)
			continue;
		bool wild = true;
		for (uint32_t a = 0; a < mp->nattach; a++)
			wild &= from_wildcard(mp, a);
		struct bpf_program *prog = prog_of(bt, (uint32_t)i);
		if (!wild || !prog || bt->o.no_uprobe_multi || !uprobe_multi_supported())
			continue;
		bpf_program__set_expected_attach_type(
			prog, (enum bpf_attach_type)BT_TRACE_UPROBE_MULTI);
		bt->multi[i] = true;
	}
}

static const char *ap_path(struct bt *bt, const struct attach_point *ap, char *buf, size_t n)
{
	return ap ? target_path(bt, ap->target, buf, n) : NULL;
}

/* One link per distinct binary. */
uint32_t uprobe_multi_count(struct bt *bt, uint32_t p)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	uint32_t n = 0;
	char b1[64], b2[64];
	for (uint32_t a = 0; a < mp->nattach; a++) {
		const char *pa = ap_path(bt, mp->attach[a].ap, b1, sizeof b1);
		bool seen = false;
		for (uint32_t k = 0; k < a && !seen; k++) {
			const char *pk = ap_path(bt, mp->attach[k].ap, b2, sizeof b2);
			seen = pa && pk && !strcmp(pa, pk);
		}
		n += !seen;
	}
	return n;
}

int attach_uprobe_multi(struct bt *bt, uint32_t p)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	uint64_t *offs = calloc(mp->nattach, 8), *cookies = calloc(mp->nattach, 8);
	bool *done = calloc(mp->nattach, 1);
	int rc = 0;
	char b1[64], b2[64];
	for (uint32_t a = 0; offs && cookies && done && a < mp->nattach && rc == 0; a++) {
		if (done[a])
			continue;
		const char *path = ap_path(bt, mp->attach[a].ap, b1, sizeof b1);
		struct elfsyms *es = path ? elfsyms_get(path) : NULL;
		uint32_t cnt = 0;
		/* every attach point on this binary */
		for (uint32_t k = a; k < mp->nattach; k++) {
			const struct attach_point *ap = mp->attach[k].ap;
			const char *pk = ap_path(bt, ap, b2, sizeof b2);
			if (done[k] || !pk || !path || strcmp(pk, path))
				continue;
			done[k] = true;
			if (bt->o.verbose)
				fprintf(stderr, "Attaching %s\n", mp->attach[k].name);
			if (!es) {
				attach_fail(bt, p, k, "Could not open %s", path);
				continue;
			}
			/* bpftrace's multi-uprobe path only resolves the names: no
			 * placement checks, so size-0 functions (_init, frame_dummy)
			 * are attached without warnings */
			uint64_t vaddr = ap->address, size;
			if (ap->func && *ap->func) {
				if (!elfsyms_name(es, ap->func, &vaddr, &size)) {
					attach_fail(bt, p, k, "Could not resolve symbol: %s:%s", path,
						    ap->func);
					continue;
				}
				vaddr += ap->func_offset;
			}
			uint64_t off = elfsyms_file_offset(es, vaddr);
			if (off == (uint64_t)-1) {
				attach_fail(bt, p, k, "Could not resolve address: %s:0x%llx", path,
					    (unsigned long long)vaddr);
				continue;
			}
			offs[cnt] = off;
			cookies[cnt] = mp->attach[k].cookie;
			cnt++;
		}
		if (!cnt)
			continue;
		struct uprobe_multi_attr at = {
			.prog_fd = (uint32_t)bpf_program__fd(prog_of(bt, p)),
			.attach_type = BT_TRACE_UPROBE_MULTI,
			.path = (uint64_t)(uintptr_t)path,
			.offsets = (uint64_t)(uintptr_t)offs,
			.cookies = (uint64_t)(uintptr_t)cookies,
			.cnt = cnt,
			.uflags = mp->type == PT_URETPROBE ? BT_F_UPROBE_MULTI_RETURN : 0,
			.pid = bt->target_pid > 0 ? (uint32_t)bt->target_pid : 0,
		};
		int fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &at, sizeof at);
		if (fd < 0) {
			bt_error("Error attaching probe: %s", mp->name);
			rc = -1;
		} else {
			hold_fd(bt, p, fd, 0);
		}
	}
	free(offs);
	free(cookies);
	free(done);
	return rc;
}
