/* attach.c - attach every probe of meta.probes, in bpftrace's order, and
 * detach everything at the end.
 *
 * Order (docs/bpftrace-compat.md "Run sequence" step 6): first pass in probe
 * order for kretprobe, kretfunc, tracepoint, profile, interval, watchpoints,
 * hardware, rawtracepoint; second pass in reverse probe order for kprobe,
 * uprobe, uretprobe, usdt, software, kfunc, iter — so blocks on one event
 * fire in source order.  A tracepoint probe whose program is in a
 * `raw_tp/NAME` or `tp_btf/NAME` section is attached once, to NAME
 * (ir-spec/obj.md).  A failing attach point of a probe that expanded from a
 * wildcard is skipped with a warning; any other failure aborts the run.
 *
 * Detaching a perf-event tracepoint costs ~75 ms in the kernel, about half
 * of which overlaps when several threads detach (docs/llvm-bpf.md), so
 * detach_all() gives each perf event a thread of its own (up to 64), and
 * spreads many cheap links over a few.
 */
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "load.h"

void hold_link(struct bt *bt, uint32_t probe, struct bpf_link *l)
{
	struct held h = { .link = l, .fd = -1, .pfd = -1, .probe = probe };
	VEC_PUSH(&bt->held, h);
}

/* A link whose program runs from a perf event of libbpf's (tracepoint,
 * kprobe, uprobe): closing it waits for the kernel. */
void hold_perf_link(struct bt *bt, uint32_t probe, struct bpf_link *l)
{
	hold_link(bt, probe, l);
	bt->held.v[bt->held.n - 1].perf_event = true;
}

void hold_fd(struct bt *bt, uint32_t probe, int fd, uint64_t wp_addr)
{
	struct held h = { .link = NULL, .fd = fd, .pfd = -1, .wp_addr = wp_addr, .probe = probe };
	VEC_PUSH(&bt->held, h);
}

static bool is_special(enum probe_type t)
{
	return t == PT_BEGIN || t == PT_END;
}

/* A tracepoint probe compiled as "raw_tp/NAME" / "tp_btf/NAME": NAME. */
static const char *section_rawtp(struct bt *bt, uint32_t p)
{
	if (bt->meta.probes.v[p].type != PT_TRACEPOINT)
		return NULL;
	const char *sec = prog_section(bt, p);
	const char *prefixes[] = { "raw_tp/", "raw_tracepoint/", "tp_btf/" };
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(sec, prefixes[i], n) && sec[n])
			return sec + n;
	}
	return NULL;
}

uint32_t count_probes(struct bt *bt)
{
	uint32_t n = 0;
	for (size_t i = 0; i < bt->meta.probes.n; i++) {
		const struct meta_probe *p = &bt->meta.probes.v[i];
		if (bt->multi && bt->multi[i])   /* a link is a probe */
			n += p->type == PT_KPROBE || p->type == PT_KRETPROBE
				     ? kprobe_multi_count(bt, (uint32_t)i)
				     : uprobe_multi_count(bt, (uint32_t)i);
		else
			n += is_special(p->type) ? 1 : p->nattach;
	}
	return n;
}

typedef int (*attach_fn)(struct bt *, uint32_t, uint32_t);

static attach_fn attacher(enum probe_type t)
{
	switch (t) {
	case PT_TRACEPOINT: return attach_tracepoint;
	case PT_RAWTRACEPOINT: return attach_rawtp;
	case PT_UPROBE: case PT_URETPROBE: return attach_uprobe;
	case PT_USDT: return attach_usdt;
	case PT_PROFILE: case PT_INTERVAL: case PT_SOFTWARE: case PT_HARDWARE:
		return attach_perf;
	case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT: return attach_watchpoint;
	case PT_KPROBE: case PT_KRETPROBE: return attach_kprobe;
	case PT_KFUNC: case PT_KRETFUNC: return attach_kfunc;
	case PT_ITER: return attach_iter;
	default: return NULL;
	}
}

static bool first_pass(enum probe_type t)
{
	switch (t) {
	case PT_KRETPROBE: case PT_KRETFUNC: case PT_TRACEPOINT: case PT_PROFILE:
	case PT_INTERVAL: case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT: case PT_HARDWARE:
	case PT_RAWTRACEPOINT:
		return true;
	default:
		return false;
	}
}

bool from_wildcard(const struct meta_probe *p, uint32_t a)
{
	const struct attach_point *ap = p->attach[a].ap;
	return p->nattach > 1 && ap &&
	       (ap->need_expansion || ap->ignore_invalid || (ap->raw && strchr(ap->raw, '*')));
}

int attach_fail(struct bt *bt, uint32_t p, uint32_t a, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (from_wildcard(&bt->meta.probes.v[p], a))
		bt_warn(bt, "%s, skipping.", msg);
	else
		bt_error("%s", msg);
	return -2;
}

static int attach_probe(struct bt *bt, uint32_t i)
{
	const struct meta_probe *p = &bt->meta.probes.v[i];
	if (!prog_of(bt, i)) {
		bt_error("Code not generated for probe: %s", p->name);
		return -1;
	}
	const char *rawtp = section_rawtp(bt, i);
	if (rawtp) {
		if (bt->o.verbose)
			fprintf(stderr, "Attaching %s\n", p->name);
		int r = attach_rawtp_section(bt, i, rawtp);
		if (r == -1)
			bt_error("Error attaching probe: %s", p->name);
		return r < 0 ? -1 : 0;
	}
	if (bt->multi && bt->multi[i])
		return p->type == PT_KPROBE || p->type == PT_KRETPROBE
			       ? attach_kprobe_multi(bt, i)
			       : attach_uprobe_multi(bt, i);
	attach_fn fn = attacher(p->type);
	if (!fn) {
		bt_error("Error attaching probe: %s", p->name);
		return -1;
	}
	uint32_t ok = 0;
	for (uint32_t a = 0; a < p->nattach; a++) {
		if (bt->o.verbose)
			fprintf(stderr, "Attaching %s\n", p->attach[a].name);
		int r = fn(bt, i, a);
		if (r == 0) {
			ok++;
			continue;
		}
		if (r == -1)
			attach_fail(bt, i, a, "Error attaching probe: %s", p->attach[a].name);
		if (!from_wildcard(p, a))
			return -1;
	}
	if (p->nattach && !ok) {
		bt_error("Error attaching probe: %s", p->name);
		return -1;
	}
	return 0;
}

/* Has a probe attached so far called exit() (or a signal come)?  Then
 * attaching the rest is pointless, and under an event flood (a 10 us
 * cpu-clock on every CPU) attaching it would starve us. */
bool attach_should_stop(struct bt *bt)
{
	events_poll(bt, 0);
	return bt->finalize || sig_stop;
}

int attach_all(struct bt *bt)
{
	if (bt->vm)   /* --interpret: timers of the interval probes */
		return interp_attach_all(bt, events_epoll_fd());
	size_t n = bt->meta.probes.n;
	for (size_t i = 0; i < n && !attach_should_stop(bt); i++) {
		enum probe_type t = bt->meta.probes.v[i].type;
		if (!is_special(t) && first_pass(t) && attach_probe(bt, (uint32_t)i) < 0)
			return -1;
	}
	for (size_t i = n; i-- > 0 && !attach_should_stop(bt);) {
		enum probe_type t = bt->meta.probes.v[i].type;
		if (!is_special(t) && !first_pass(t) && attach_probe(bt, (uint32_t)i) < 0)
			return -1;
	}
	return 0;
}

void quiesce(struct bt *bt)
{
	if (bt->vm)
		interp_detach_all(bt);
	for (size_t i = 0; i < bt->held.n; i++)
		if (bt->held.v[i].pfd >= 0)
			ioctl(bt->held.v[i].pfd, PERF_EVENT_IOC_DISABLE, 0);
}

void held_release(struct held *h)
{
	if (h->link)
		bpf_link__destroy(h->link);
	else if (h->fd >= 0)
		close(h->fd);
	h->link = NULL;
	h->fd = -1;
	h->pfd = -1;
}

struct detach_job {
	struct held *items;
	size_t n, step;
};

static void *detach_thread(void *arg)
{
	struct detach_job *j = arg;
	for (size_t i = 0; i < j->n; i += j->step)
		held_release(&j->items[i]);
	return NULL;
}

/* One thread per perf event (their kernel waits overlap in part), one per
 * four other links when there are many; at most 64. */
static size_t detach_threads(const struct bt *bt)
{
	size_t n = bt->held.n, perf = 0;
	for (size_t i = 0; i < n; i++)
		perf += bt->held.v[i].perf_event || bt->held.v[i].pfd >= 0;
	size_t nthreads = n < 8 ? 1 : n / 4;
	if (perf > nthreads)
		nthreads = perf;
	return nthreads < 64 ? nthreads : 64;
}

void detach_all(struct bt *bt)
{
	if (bt->vm)
		interp_detach_all(bt);
	size_t n = bt->held.n;
	if (n == 0)
		return;
	size_t nthreads = detach_threads(bt);
	if (nthreads <= 1) {
		for (size_t i = 0; i < n; i++)
			held_release(&bt->held.v[i]);
	} else {
		pthread_t th[64];
		bool started[64];
		struct detach_job jobs[64];
		for (size_t t = 0; t < nthreads; t++) {
			jobs[t] = (struct detach_job){ bt->held.v + t, n - t, nthreads };
			started[t] = pthread_create(&th[t], NULL, detach_thread, &jobs[t]) == 0;
			if (!started[t])
				detach_thread(&jobs[t]);
		}
		for (size_t t = 0; t < nthreads; t++)
			if (started[t])
				pthread_join(th[t], NULL);
	}
	bt->held.n = 0;
}
