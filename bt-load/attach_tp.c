/* attach_tp.c - tracepoints (perf event per tracepoint, with BPF cookie)
 * and raw tracepoints (bpf_raw_tracepoint_open; no perf event, cheap to
 * detach).  Attachers return 0, -1 (caller reports "Error attaching
 * probe") or -2 (reported here already).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "load.h"

int attach_tracepoint(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_attach *m = &bt->meta.probes.v[p].attach[a];
	const struct attach_point *ap = m->ap;
	if (!ap || !ap->target || !ap->func)
		return -1;
	LIBBPF_OPTS(bpf_tracepoint_opts, o, .bpf_cookie = m->cookie);
	struct bpf_link *l = bpf_program__attach_tracepoint_opts(prog_of(bt, p), ap->target,
								 ap->func, &o);
	if (!l)
		return -1;
	hold_perf_link(bt, p, l);
	return 0;
}

/* BPF_RAW_TRACEPOINT_OPEN with a BPF cookie (kernel 6.10; newer than
 * this libbpf): the attr's raw_tracepoint part. */
struct rawtp_attr {
	uint64_t name;
	uint32_t prog_fd, pad;
	uint64_t cookie;
};

/* The kernel's answer names the problem as bpftrace does: no such raw
 * tracepoint (ENOENT), or the program reads past its arguments (EINVAL). */
static int rawtp_failed(struct bt *bt, uint32_t p, uint32_t a, int err)
{
	const char *name = bt->meta.probes.v[p].attach[a].name;
	if (err == ENOENT)
		return attach_fail(bt, p, a, "Probe does not exist: %s", name);
	if (err == EINVAL)
		return attach_fail(bt, p, a,
				   "Error attaching probe: %s, maybe trying to access arguments "
				   "beyond what's available in this tracepoint", name);
	return -1;
}

int attach_rawtp(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_attach *m = &bt->meta.probes.v[p].attach[a];
	const struct attach_point *ap = m->ap;
	const char *name = ap ? (ap->func && *ap->func ? ap->func : ap->target) : NULL;
	if (!name)
		return -1;
	if (!m->cookie)
		return attach_rawtp_section(bt, p, name) ? rawtp_failed(bt, p, a, errno) : 0;
	struct rawtp_attr at = { (uint64_t)(uintptr_t)name,
				 (uint32_t)bpf_program__fd(prog_of(bt, p)), 0, m->cookie };
	int fd = (int)syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &at, sizeof at);
	if (fd < 0)
		return rawtp_failed(bt, p, a, errno);
	hold_fd(bt, p, fd, 0);
	return 0;
}

/* Also used for programs whose section names the raw tracepoint.  On
 * failure -1, errno says why. */
int attach_rawtp_section(struct bt *bt, uint32_t p, const char *tp)
{
	struct bpf_program *prog = prog_of(bt, p);
	struct bpf_link *l;
	if (!strncmp(bpf_program__section_name(prog), "tp_btf/", 7))
		l = bpf_program__attach_trace(prog);
	else
		l = bpf_program__attach_raw_tracepoint(prog, tp);
	if (!l)
		return -1;
	hold_link(bt, p, l);
	return 0;
}
