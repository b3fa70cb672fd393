/* attach_perf.c - perf-event probes: profile, interval, software, hardware
 * (docs/bpftrace-compat.md "perf events") and watchpoints ("Watchpoints"),
 * including the func+argN kind whose breakpoint is opened at run time when
 * its setup uprobe reports the address (ir-spec/obj.md, "Watchpoints").
 */
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "load.h"
#include "perf_events.h"

/* Online CPUs from sysfs ("0-3,5"). */
static int online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	int n = 0;
	if (!f) {
		cpus[0] = 0;
		return 1;
	}
	int a, b;
	char sep;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (int c = a; c <= b && n < max; c++)
			cpus[n++] = c;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

static int perf_open(struct perf_event_attr *attr, pid_t pid, int cpu)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Attach prog to the perf event fd (closed on failure); 0 or -errno. */
static int attach_fd(struct bt *bt, uint32_t p, struct bpf_program *prog, int fd,
		     uint64_t cookie, uint64_t wp_addr)
{
	LIBBPF_OPTS(bpf_perf_event_opts, o, .bpf_cookie = cookie);
	struct bpf_link *l = bpf_program__attach_perf_event_opts(prog, fd, &o);
	if (!l) {
		int e = -errno;
		close(fd);
		return e ? e : -EINVAL;
	}
	struct held h = { .link = l, .fd = -1, .pfd = fd, .wp_addr = wp_addr, .probe = p };
	VEC_PUSH(&bt->held, h);
	return 0;
}

/* Open on one cpu (or pid) and attach prog; 0, or -errno of the open. */
static int open_attach(struct bt *bt, uint32_t p, struct bpf_program *prog,
		       struct perf_event_attr *attr, pid_t pid, int cpu, uint64_t cookie,
		       uint64_t wp_addr)
{
	int fd = perf_open(attr, pid, cpu);
	if (fd < 0)
		return -errno;
	return attach_fd(bt, p, prog, fd, cookie, wp_addr);
}

int attach_perf(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	if (!ap)
		return -1;
	struct perf_event_attr attr = { .size = sizeof attr };
	bool one_cpu = false;
	if (mp->type == PT_PROFILE || mp->type == PT_INTERVAL) {
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
		const char *unit = ap->target ? ap->target : "";
		uint64_t n = ap->freq;
		if (!strcmp(unit, "hz")) {
			attr.freq = 1;
			attr.sample_freq = n;
		} else if (!strcmp(unit, "s")) {
			attr.sample_period = n * 1000000000ull;
		} else if (!strcmp(unit, "ms")) {
			attr.sample_period = n * 1000000ull;
		} else if (!strcmp(unit, "us")) {
			attr.sample_period = n * 1000ull;
		} else {
			return -1;
		}
		one_cpu = mp->type == PT_INTERVAL;
	} else {
		bool hw = mp->type == PT_HARDWARE;
		const char *ev = ap->target && *ap->target ? ap->target : ap->func;
		const struct perf_event_def *e =
			perf_event_find(hw ? PT_HARDWARE : PT_SOFTWARE, ev);
		if (!e)
			return -1;
		attr.type = hw ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE;
		attr.config = e->config;
		attr.sample_period = ap->freq ? ap->freq : e->default_period;
	}
	int cpus[4096];
	int ncpu = one_cpu ? 1 : online_cpus(cpus, 4096);
	if (one_cpu)
		cpus[0] = 0;
	struct bpf_program *prog = prog_of(bt, p);
	/* bpftrace's perf-event attach (bcc's) names the failing call on
	 * stderr before its "Error attaching probe" */
	for (int i = 0; i < ncpu && (i == 0 || !attach_should_stop(bt)); i++) {
		int fd = perf_open(&attr, -1, cpus[i]);
		if (fd < 0) {
			fprintf(stderr, "perf_event_open failed: %s\n", strerror(errno));
			return -1;
		}
		int r = attach_fd(bt, p, prog, fd, m->cookie, 0);
		if (r < 0) {
			fprintf(stderr, "ioctl(PERF_EVENT_IOC_SET_BPF) failed: %s\n", strerror(-r));
			return -1;
		}
	}
	return 0;
}

/* ---- watchpoints ---- */

static int bp_type(const char *mode)
{
	int t = 0;
	for (const char *c = mode ? mode : "rw"; *c; c++)
		t |= *c == 'r' ? HW_BREAKPOINT_R : *c == 'w' ? HW_BREAKPOINT_W :
		     *c == 'x' ? HW_BREAKPOINT_X : 0;
	return t;
}

static void out_of_registers(struct bt *bt)
{
	static const char msg[] =
		"Failed to attach watchpoint probe. You are out of watchpoint registers.\n";
	out_text(bt, "message", msg, sizeof msg - 1);
}

/* Breakpoint on addr for the target process (or every CPU for kernel
 * addresses without one). */
static int open_watch(struct bt *bt, uint32_t p, uint32_t a, uint64_t addr)
{
	const struct meta_attach *m = &bt->meta.probes.v[p].attach[a];
	const struct attach_point *ap = m->ap;
	struct perf_event_attr attr = { .size = sizeof attr };
	attr.type = PERF_TYPE_BREAKPOINT;
	attr.bp_type = (uint32_t)bp_type(ap->mode);
	attr.bp_addr = addr;
	attr.bp_len = (attr.bp_type & HW_BREAKPOINT_X) ? sizeof(long) : (ap->len ? ap->len : 8);
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	struct bpf_program *prog = prog_of(bt, p);
	int r;
	if (bt->target_pid) {
		r = open_attach(bt, p, prog, &attr, bt->target_pid, -1, m->cookie, addr);
	} else {
		int cpus[4096];
		int n = online_cpus(cpus, 4096);
		r = 0;
		for (int i = 0; i < n && r == 0; i++)
			r = open_attach(bt, p, prog, &attr, -1, cpus[i], m->cookie, addr);
	}
	if (r == -ENOSPC) {
		out_of_registers(bt);
		return -2;
	}
	return r < 0 ? -1 : 0;
}

int attach_watchpoint(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct attach_point *ap = mp->attach[a].ap;
	if (!ap)
		return -1;
	if (ap->arg_num < 0 || !ap->func || !*ap->func)
		return open_watch(bt, p, a, ap->address);

	/* func+argN: attach the setup uprobe; the breakpoint comes later */
	char name[512];
	snprintf(name, sizeof name, "%s_wp_setup", mp->prog);
	struct bpf_program *setup = prog_by_name(bt, name);
	char exe[64];
	const char *bin = ap->target && *ap->target ? ap->target
						   : target_binary(bt, exe, sizeof exe);
	if (!setup || !bin)
		return -1;
	struct elfsyms *es = elfsyms_get(bin);
	uint64_t vaddr, size;
	if (!elfsyms_name(es, ap->func, &vaddr, &size))
		return -1;
	uint64_t off = elfsyms_file_offset(es, vaddr);
	LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = ((uint64_t)p << 32) | a);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(
		setup, bt->target_pid ? bt->target_pid : -1, bin, (size_t)off, &o);
	if (!l)
		return -1;
	hold_link(bt, p, l);
	return 0;
}

int watchpoint_event(struct bt *bt, uint64_t idx, uint64_t addr)
{
	uint32_t p = (uint32_t)(idx >> 32), a = (uint32_t)idx;
	if (p >= bt->meta.probes.n || a >= bt->meta.probes.v[p].nattach)
		return -1;
	const struct attach_point *ap = bt->meta.probes.v[p].attach[a].ap;
	bool seen = false;
	for (size_t i = 0; i < bt->wps.n; i++)
		if (bt->wps.v[i].probe == p && bt->wps.v[i].attach == a && bt->wps.v[i].addr == addr)
			seen = true;
	if (!seen) {
		struct wp_pending w = { p, a, addr };
		VEC_PUSH(&bt->wps, w);
		if (open_watch(bt, p, a, addr) == -1)
			bt_error("Error attaching probe: %s", bt->meta.probes.v[p].attach[a].name);
	}
	if (ap && !ap->async && bt->target_pid)
		kill(bt->target_pid, SIGCONT);
	return 0;
}

void unwatch(struct bt *bt, uint64_t addr)
{
	for (size_t i = 0; i < bt->held.n; i++) {
		struct held *h = &bt->held.v[i];
		if (!h->wp_addr || h->wp_addr != addr)
			continue;
		held_release(h);
		h->wp_addr = 0;
	}
	/* allow the same address to be watched again */
	for (size_t i = 0; i < bt->wps.n; i++)
		if (bt->wps.v[i].addr == addr)
			bt->wps.v[i].addr = 0;
}
