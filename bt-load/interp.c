/* interp.c - bt-load's second backend (--interpret): the object's
 * programs run in the userspace interpreter (interp/) instead of the
 * kernel, without privileges.  Everything else (the out stream, the ring
 * buffer records and their handling, map dumps, signals, exit(), END) is
 * bt-load's usual code; this file is the seam:
 *   interp_check    before anything runs: only BEGIN, END and interval
 *                   probes, only helpers the interpreter emulates (a
 *                   refusal names the builtin that needs the kernel)
 *   interp_load     the maps libbpf read from the object (not created in
 *                   any kernel), the programs linked and decoded
 *   interp_run_special, interp_attach_all/detach_all/timer_fired
 *                   BEGIN and END once; interval probes on timerfds in the
 *                   event loop's epoll set (CLOCK_MONOTONIC, first firing
 *                   one period after attach, as the perf event's)
 *   interp_consume  the ring buffer's records, in order
 * The interpreter is CPU 0 of a one-CPU machine (per-CPU values have one
 * slot); pid, comm, uid... are bt-load's own, as in BEGIN and END run by
 * the kernel.  bpf_trace_printk (debugf) text goes to the kernel's trace
 * buffer through trace_marker when we may write it, else to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "interp/vm.h"
#include "load.h"

struct interp_timer {
	int fd;
	uint32_t probe, attach;
};

static VEC(struct interp_timer) g_timers;
static int g_trace_fd = -2;   /* trace_marker: -2 not opened yet, -1 none */

static bool interpretable(enum probe_type t)
{
	return t == PT_BEGIN || t == PT_END || t == PT_INTERVAL;
}

/* The first helper call in the object's code that needs the kernel. */
static const char *refused_helper(struct bt *bt)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)bt->parts[0].elf, bt->parts[0].size);
	const char *why = NULL;
	Elf_Scn *scn = NULL;
	while (e && !why && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		const struct bpf_insn *in = d->d_buf;
		for (size_t i = 0; i < d->d_size / sizeof *in && !why; i++)
			if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == 0)
				why = vm_helper_refusal(in[i].imm);
	}
	if (e)
		elf_end(e);
	return why;
}

int interp_check(struct bt *bt)
{
	if (bt->nparts > 1) {
		bt_error("a program written as %u BPF objects (more maps or sections than one "
			 "object holds) cannot be interpreted", bt->nparts);
		return -1;
	}
	for (size_t i = 0; i < bt->meta.probes.n; i++) {
		const struct meta_probe *p = &bt->meta.probes.v[i];
		if (!interpretable(p->type)) {
			bt_error("%s cannot be interpreted: only BEGIN, END and interval probes run "
				 "without the kernel", p->name);
			return -1;
		}
	}
	const char *why = refused_helper(bt);
	if (why) {
		bt_error("%s", why);
		return -1;
	}
	return 0;
}

/* debugf(): as the kernel's trace buffer would get it, if we may write
 * there; else on stderr. */
static void trace_out(void *ctx, const char *msg, size_t n)
{
	if (g_trace_fd == -2) {
		g_trace_fd = open("/sys/kernel/tracing/trace_marker", O_WRONLY | O_CLOEXEC);
		if (g_trace_fd < 0)
			g_trace_fd = open("/sys/kernel/debug/tracing/trace_marker",
					  O_WRONLY | O_CLOEXEC);
	}
	if (g_trace_fd >= 0 && write(g_trace_fd, msg, n) == (ssize_t)n)
		return;
	fprintf(stderr, "bpf_trace_printk: %.*s\n", (int)n, msg);
}

/* cgroup v2 id of this process: its cgroup directory's inode number. */
static uint64_t own_cgroup_id(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], path[4200];
	uint64_t id = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, sizeof path, "/sys/fs/cgroup%s", line + 3);
		struct stat st;
		if (stat(path, &st) == 0)
			id = (uint64_t)st.st_ino;
	}
	if (f)
		fclose(f);
	return id;
}

static int map_index(void *ctx, const char *name)
{
	struct vm *vm = ctx;
	for (uint32_t i = 0; i < vm->nmaps; i++)
		if (!strcmp(vm_map_name(vm->maps[i]), name))
			return (int)i;
	return -1;
}

struct vm_map *interp_map(struct bt *bt, struct bpf_map *m)
{
	int i = map_index(bt->vm, bpf_map__name(m));
	return i < 0 ? NULL : bt->vm->maps[i];
}

int interp_load(struct bt *bt)
{
	struct vm *vm = vm_new();
	if (!vm) {
		bt_error("out of memory");
		return -1;
	}
	bt->vm = vm;
	bt->ncpus = 1;
	vm->env.trace_printk = trace_out;
	vm->cgroup_id = own_cgroup_id();
	vm->rng ^= (uint64_t)getpid() << 20 ^ (uint64_t)(uintptr_t)&vm;
	struct bpf_map *m;
	bpf_object__for_each_map(m, bt->parts[0].obj) {
		if (bpf_map__is_internal(m))   /* data sections: interp/elf.c */
			continue;
		struct vm_map_def d = {
			.name = bpf_map__name(m), .type = bpf_map__type(m),
			.key_size = bpf_map__key_size(m), .value_size = bpf_map__value_size(m),
			.max_entries = bpf_map__max_entries(m),
		};
		if (vm_add_map(vm, &d) < 0) {
			bt_error("%s", vm->err);
			return -1;
		}
	}
	if (vm_load_elf(vm, bt->parts[0].elf, bt->parts[0].size, map_index, vm) < 0) {
		bt_error("%s", vm->err);
		return -1;
	}
	for (size_t i = 0; i < bt->meta.probes.n; i++)
		if (vm_find_prog(vm, bt->meta.probes.v[i].prog) < 0) {
			bt_error("Code not generated for probe: %s", bt->meta.probes.v[i].name);
			return -1;
		}
	return 0;
}

/* Run probe p's program once as attach point a would fire it. */
static int run_probe(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	int prog = vm_find_prog(bt->vm, mp->prog);
	/* BEGIN/END: the raw tracepoint arguments BPF_PROG_TEST_RUN passes
	 * (six zero words); interval: no context we could fill truthfully
	 * (the registers of whatever CPU 0 ran), so none */
	static const uint64_t args[6];
	bool special = mp->type == PT_BEGIN || mp->type == PT_END;
	bt->vm->cookie = a < mp->nattach ? mp->attach[a].cookie : 0;
	uint64_t ret;
	if (vm_run(bt->vm, prog, special ? args : NULL, special ? sizeof args : 0, &ret) < 0) {
		bt_error("%s: %s", mp->name, bt->vm->err);
		return -1;
	}
	return 0;
}

int interp_run_special(struct bt *bt, enum probe_type which)
{
	for (uint32_t i = 0; i < bt->meta.probes.n; i++)
		if (bt->meta.probes.v[i].type == which && run_probe(bt, i, 0) < 0)
			return -1;
	return 0;
}

static uint64_t period_ns(const struct attach_point *ap)
{
	const char *unit = ap && ap->target ? ap->target : "";
	uint64_t n = ap ? ap->freq : 0;
	if (!strcmp(unit, "s"))
		return n * 1000000000ull;
	if (!strcmp(unit, "ms"))
		return n * 1000000ull;
	if (!strcmp(unit, "us"))
		return n * 1000ull;
	if (!strcmp(unit, "hz"))
		return n ? 1000000000ull / n : 0;
	return 0;
}

int interp_attach_all(struct bt *bt, int epfd)
{
	for (uint32_t p = 0; p < bt->meta.probes.n; p++) {
		const struct meta_probe *mp = &bt->meta.probes.v[p];
		if (mp->type != PT_INTERVAL)
			continue;
		for (uint32_t a = 0; a < mp->nattach; a++) {
			uint64_t ns = period_ns(mp->attach[a].ap);
			if (ns == 0) {
				bt_error("Error attaching probe: %s", mp->attach[a].name);
				return -1;
			}
			int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
			struct itimerspec its = {
				.it_value = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) },
			};
			its.it_interval = its.it_value;
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
			if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0 ||
			    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
				bt_error("Error attaching probe: %s: %s", mp->attach[a].name,
					 strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
			struct interp_timer t = { fd, p, a };
			VEC_PUSH(&g_timers, t);
		}
	}
	return 0;
}

void interp_detach_all(struct bt *bt)
{
	for (size_t i = 0; i < g_timers.n; i++)
		close(g_timers.v[i].fd);
	g_timers.n = 0;
}

/* Most firings of one timer run in one wakeup: a stalled reader does not
 * make us run a backlog of thousands. */
#define MAX_CATCH_UP 64

bool interp_timer_fired(struct bt *bt, int fd)
{
	for (size_t i = 0; i < g_timers.n; i++) {
		struct interp_timer *t = &g_timers.v[i];
		if (t->fd != fd)
			continue;
		uint64_t n = 0;
		if (read(fd, &n, sizeof n) != sizeof n)
			return true;
		for (uint64_t k = 0; k < n && k < MAX_CATCH_UP && g_timers.n; k++) {
			if (run_probe(bt, t->probe, t->attach) < 0) {
				bt->exit_code = 255;
				bt->finalize = true;
				break;
			}
			/* exit() stops the firings at once, as quiesce() does */
			if (bt->finalize)
				break;
		}
		return true;
	}
	return false;
}

long interp_consume(struct bt *bt, int (*fn)(void *ctx, void *data, size_t n))
{
	struct bpf_map *rb = bt->ringbuf_map;
	struct vm_map *m = rb ? interp_map(bt, rb) : NULL;
	return m ? vm_ring_consume(m, fn, bt) : 0;
}

void interp_close(struct bt *bt)
{
	interp_detach_all(bt);
	vm_free(bt->vm);
	bt->vm = NULL;
	if (g_trace_fd >= 0)
		close(g_trace_fd);
	g_trace_fd = -2;
}
