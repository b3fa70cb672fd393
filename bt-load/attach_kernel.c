/* attach_kernel.c - kprobe/kretprobe (one kprobe per function, or one
 * kprobe_multi link per wildcard) and iter probes (kfunc/kretfunc:
 * attach_kfunc.c).
 *
 * This machine has no kprobes; the attach calls are still real, so the
 * errors are the kernel's, reported as bpftrace does.  iter probes: the iterator is created after attaching and read to
 * its end (its output becomes `text` records of kind `iter`), or its link
 * is pinned when the attach point names a pin path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

static const char *banned_kretprobes[] = {
	"_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore",
	"queued_spin_lock_slowpath",
};

static bool banned_kretprobe(const struct meta_probe *mp, const char *func)
{
	if (mp->type != PT_KRETPROBE)
		return false;
	for (size_t i = 0; i < sizeof banned_kretprobes / sizeof *banned_kretprobes; i++) {
		if (!strcmp(func, banned_kretprobes[i])) {
			fprintf(stderr, "error: kretprobe:%s can't be used as it might lock up your system.\n",
				func);
			return true;
		}
	}
	return false;
}

/* An offset must stay inside the function, whose size is measured from
 * kallsyms as the kernel measures it (bpftrace reads it from a vmlinux
 * with symbols where it finds one); the kernel itself refuses an offset
 * in the middle of an instruction (EILSEQ). */
static bool offset_in_bounds(const struct attach_point *ap)
{
	uint64_t size;
	if (!ap->func_offset || !ksym_func_size(ap->func, &size) || ap->func_offset < size)
		return true;
	bt_error("Offset outside the function bounds ('%s' size is %llu)", ap->func,
		 (unsigned long long)size);
	return false;
}

int attach_kprobe(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	if (!ap || !ap->func)
		return -1;
	if (banned_kretprobe(mp, ap->func))
		return -2;
	if (!offset_in_bounds(ap))
		return -2;
	LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = (size_t)ap->func_offset,
		    .retprobe = mp->type == PT_KRETPROBE, .bpf_cookie = m->cookie);
	struct bpf_link *l = bpf_program__attach_kprobe_opts(prog_of(bt, p), ap->func, &o);
	if (!l) {
		int err = errno;
		if (from_wildcard(mp, a))
			return attach_fail(bt, p, a, "could not attach probe %s", m->name);
		if (err == EILSEQ)
			bt_error("Possible attachment attempt in the middle of an instruction, try a different offset.");
		bt_error("Error attaching probe: '%s'", m->name);
		return -2;
	}
	hold_perf_link(bt, p, l);
	return 0;
}

/* ---- kprobe_multi: the matches of a wildcard through one link ----
 * Needs fprobe (Linux 5.18+ with CONFIG_FPROBE; Debian's 6.12 has it, its
 * 6.1 not).  6.1 loads a kprobe_multi program all the same and refuses
 * only the link, so support is learnt by attaching a trivial program, as
 * bpftrace does.  The choice is made before loading (a program loaded for
 * kprobe_multi cannot be attached as a plain kprobe); elsewhere each
 * match is a kprobe of its own. */

bool kprobe_multi_supported(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &o);
	int l = -1;
	if (fd >= 0) {
		const char *sym = "vfs_read";
		LIBBPF_OPTS(bpf_link_create_opts, lo, .kprobe_multi.syms = &sym,
			    .kprobe_multi.cnt = 1);
		l = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &lo);
		if (l >= 0)
			close(l);
		close(fd);
	}
	cached = l >= 0;
	return cached;
}

/* A probe whose attach points are all matches of kprobe wildcards, and
 * that does not read `probe` (bpftrace expands such a block into one
 * kprobe per function). */
static bool kprobe_wildcard_only(const struct meta_probe *mp)
{
	if ((mp->type != PT_KPROBE && mp->type != PT_KRETPROBE) || mp->expand)
		return false;
	for (uint32_t a = 0; a < mp->nattach; a++) {
		const struct attach_point *ap = mp->attach[a].ap;
		if (!from_wildcard(mp, a) || !ap->func || ap->func_offset)
			return false;
	}
	return mp->nattach > 0;
}

void kprobe_multi_prepare(struct bt *bt)
{
	if (bt->o.no_kprobe_multi)
		return;
	for (size_t i = 0; i < bt->meta.probes.n; i++) {
		struct bpf_program *prog = prog_of(bt, (uint32_t)i);
		if (!prog || !kprobe_wildcard_only(&bt->meta.probes.v[i]) ||
		    !kprobe_multi_supported())
			continue;
		bpf_program__set_expected_attach_type(prog, BPF_TRACE_KPROBE_MULTI);
		bt->multi[i] = true;
	}
}

/* The wildcard as written, with the provider spelt out ("k:vfs_*" is
 * "kprobe:vfs_*"): what a link serves. */
static const char *wildcard_name(const struct meta_probe *mp, const struct attach_point *ap,
				 char *buf, size_t n)
{
	const char *raw = ap->raw ? ap->raw : "";
	const char *colon = strchr(raw, ':');
	snprintf(buf, n, "%s:%s", probe_type_name(mp->type), colon ? colon + 1 : raw);
	return buf;
}

/* One link per wildcard of the probe (bpftrace makes one per attach point
 * as written): attach point a starts a new group when its raw text is new. */
static bool starts_group(const struct meta_probe *mp, uint32_t a)
{
	for (uint32_t k = 0; k < a; k++)
		if (!strcmp(mp->attach[k].ap->raw, mp->attach[a].ap->raw))
			return false;
	return true;
}

uint32_t kprobe_multi_count(struct bt *bt, uint32_t p)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	uint32_t n = 0;
	for (uint32_t a = 0; a < mp->nattach; a++)
		n += starts_group(mp, a);
	return n;
}

int attach_kprobe_multi(struct bt *bt, uint32_t p)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const char **syms = calloc(mp->nattach, sizeof *syms);
	__u64 *cookies = calloc(mp->nattach, sizeof *cookies);
	int rc = syms && cookies ? 0 : -1;
	for (uint32_t a = 0; rc == 0 && a < mp->nattach; a++) {
		if (!starts_group(mp, a))
			continue;
		const char *raw = mp->attach[a].ap->raw;
		size_t cnt = 0;
		for (uint32_t k = a; k < mp->nattach; k++) {
			const struct meta_attach *m = &mp->attach[k];
			if (strcmp(m->ap->raw, raw) || banned_kretprobe(mp, m->ap->func))
				continue;
			if (bt->o.verbose)
				fprintf(stderr, "Attaching %s\n", m->name);
			syms[cnt] = m->ap->func;
			cookies[cnt++] = m->cookie;
		}
		if (!cnt)
			continue;
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms, .cnt = cnt,
			    .cookies = cookies, .retprobe = mp->type == PT_KRETPROBE);
		struct bpf_link *l = bpf_program__attach_kprobe_multi_opts(prog_of(bt, p), NULL, &o);
		if (!l) {
			char name[512];
			bt_error("Error attaching probe: '%s'",
				 wildcard_name(mp, mp->attach[a].ap, name, sizeof name));
			rc = -1;
			break;
		}
		hold_link(bt, p, l);
	}
	free(syms);
	free(cookies);
	return rc;
}

/* Links of iterators to read after attaching (index into bt->held). */
static VEC(size_t) g_iters;

int attach_iter(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct attach_point *ap = bt->meta.probes.v[p].attach[a].ap;
	struct bpf_link *l = bpf_program__attach_iter(prog_of(bt, p), NULL);
	if (!l)
		return -1;
	if (ap && ap->pin && *ap->pin) {
		char path[4096];
		if (ap->pin[0] == '/')
			snprintf(path, sizeof path, "%s", ap->pin);
		else
			snprintf(path, sizeof path, "/sys/fs/bpf/%s", ap->pin);
		int err = bpf_link__pin(l, path);
		if (err) {
			bt_error("Failed to pin iterator to %s: %s", path, strerror(-err));
			bpf_link__destroy(l);
			return -2;
		}
		char msg[4200];
		int n = snprintf(msg, sizeof msg, "Program pinned to %s\n", path);
		out_text(bt, "message", msg, (size_t)n);
		/* the pinned link stays; our reference goes */
		hold_link(bt, p, l);
		return 0;
	}
	hold_link(bt, p, l);
	size_t idx = bt->held.n - 1;
	VEC_PUSH(&g_iters, idx);
	return 0;
}

int run_iters(struct bt *bt)
{
	bool any = false;
	for (size_t i = 0; i < bt->meta.probes.n; i++)
		any |= bt->meta.probes.v[i].type == PT_ITER;
	if (!any)
		return 0;
	for (size_t k = 0; k < g_iters.n; k++) {
		struct held *h = &bt->held.v[g_iters.v[k]];
		int fd = bpf_iter_create(bpf_link__fd(h->link));
		if (fd < 0) {
			bt_error("Failed to create iterator: %s", strerror(errno));
			continue;
		}
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
			if (n > 0) {
				out_text(bt, "iter", buf, (size_t)n);
				out_batch_done(bt);
			}
			if (sig_stop)
				break;
		}
		close(fd);
	}
	bt->finalize = true;   /* an iterator program ends when it was read */
	return 0;
}
