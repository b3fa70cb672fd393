/* attach_kernel.c - kprobe/kretprobe and iter probes (kfunc/kretfunc:
 * attach_kfunc.c).
 *
 * This machine has no kprobes; the attach calls are still real, so the
 * errors are the kernel's, reported as bpftrace does.  iter probes: the iterator is created after attaching and read to
 * its end (its output becomes `text` records of kind `iter`), or its link
 * is pinned when the attach point names a pin path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

static const char *banned_kretprobes[] = {
	"_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore",
	"queued_spin_lock_slowpath",
};

int attach_kprobe(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	if (!ap || !ap->func)
		return -1;
	bool ret = mp->type == PT_KRETPROBE;
	for (size_t i = 0; ret && i < sizeof banned_kretprobes / sizeof *banned_kretprobes; i++) {
		if (!strcmp(ap->func, banned_kretprobes[i])) {
			fprintf(stderr, "error: kretprobe:%s can't be used as it might lock up your system.\n",
				ap->func);
			return -2;
		}
	}
	LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = (size_t)ap->func_offset, .retprobe = ret,
		    .bpf_cookie = m->cookie);
	struct bpf_link *l = bpf_program__attach_kprobe_opts(prog_of(bt, p), ap->func, &o);
	if (!l)
		return -1;
	hold_link(bt, p, l);
	return 0;
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
