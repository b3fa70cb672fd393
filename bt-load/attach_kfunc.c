/* attach_kfunc.c - kfunc/kretfunc probes (fentry/fexit programs).
 *
 * The kernel binds an fentry/fexit program to one function when it is
 * loaded (its BTF id) and will not attach it anywhere else.  libbpf loads
 * a probe's program for the function its section names, the probe's
 * first attach point; every further attach point gets a copy of that
 * program: the same instructions as loaded (their map references point
 * at the same maps), loaded again for that function's BTF id, found in
 * the vmlinux BTF or in its module's BTF.  The code is compiled and
 * relocated once; only the verifier runs per function, which the kernel
 * requires.  A program serving several attach points reads the probe
 * name id from its attach cookie, which each link carries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "load.h"

/* A kernel BTF object we looked a function up in (vmlinux: fd -1). */
struct kernel_btf {
	const char *module;
	struct btf *btf;
	int fd;
};

static struct btf *g_vmlinux;
static VEC(struct kernel_btf) g_modules;

static struct btf *vmlinux_btf(void)
{
	if (!g_vmlinux)
		g_vmlinux = btf__load_vmlinux_btf();
	return g_vmlinux;
}

/* The split BTF of a loaded module (NULL if it has none), with an fd of
 * its kernel object: the program load names it as the target's BTF. */
static struct kernel_btf *module_btf(const char *module)
{
	for (size_t i = 0; i < g_modules.n; i++)
		if (!strcmp(g_modules.v[i].module, module))
			return g_modules.v[i].btf ? &g_modules.v[i] : NULL;
	struct kernel_btf k = { .module = arena_strdup(module), .fd = -1 };
	struct btf *base = vmlinux_btf();
	uint32_t id = 0;
	while (base && bpf_btf_get_next_id(id, &id) == 0) {
		int fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		char name[64] = "";
		struct bpf_btf_info info = { .name = (uint64_t)(uintptr_t)name,
					     .name_len = sizeof name };
		uint32_t len = sizeof info;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.kernel_btf &&
		    !strcmp(name, module)) {
			k.btf = btf__load_from_kernel_by_id_split(id, base);
			if (k.btf) {
				k.fd = fd;
				break;
			}
		}
		close(fd);
	}
	VEC_PUSH(&g_modules, k);
	return k.btf ? &g_modules.v[g_modules.n - 1] : NULL;
}

/* BTF id of FUNC in MODULE ("vmlinux" or NULL: the kernel itself) and the
 * fd of the module's BTF object (0 for vmlinux); -1 if not found. */
static int find_target(const char *module, const char *func, int *btf_fd)
{
	struct btf *b = vmlinux_btf();
	*btf_fd = 0;
	if (module && *module && strcmp(module, "vmlinux") != 0) {
		struct kernel_btf *k = module_btf(module);
		if (!k)
			return -1;
		b = k->btf;
		*btf_fd = k->fd;
	}
	if (!b)
		return -1;
	int id = btf__find_by_name_kind(b, func, BTF_KIND_FUNC);
	return id > 0 ? id : -1;
}

/* Load the program of probe p again, for attach point a's function.
 * Returns the program fd or -1 (reported). */
static int load_copy(struct bt *bt, uint32_t p, uint32_t a)
{
	struct bpf_program *prog = prog_of(bt, p);
	const struct attach_point *ap = bt->meta.probes.v[p].attach[a].ap;
	const char *what = bt->meta.probes.v[p].attach[a].name;
	int btf_fd;
	int id = find_target(ap->target, ap->func, &btf_fd);
	if (id < 0) {
		attach_fail(bt, p, a, "No BTF found for %s", what);
		return -1;
	}
	/* with level 0 the log is only written (by a retry) when loading fails */
	size_t logsz = bt->meta.cfg.log_size ? bt->meta.cfg.log_size : 1000000;
	char *log = calloc(1, logsz);
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = bpf_program__expected_attach_type(prog),
		    .attach_btf_id = (uint32_t)id, .attach_btf_obj_fd = (uint32_t)btf_fd,
		    .log_buf = log, .log_size = log ? (uint32_t)logsz : 0,
		    .log_level = log && bt->o.verbose ? 1 : 0);
	char name[16];
	snprintf(name, sizeof name, "%s", bpf_program__name(prog));
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", bpf_program__insns(prog),
			       bpf_program__insn_cnt(prog), &o);
	if (fd < 0 && !report_helper_refused(bt, log)) {
		if (bt->o.verbose && log && *log)
			fprintf(stderr, "\nThe verifier log:\n%s\n", log);
		attach_fail(bt, p, a, "Error loading program: %s%s", what,
			    bt->o.verbose ? "" : " (try -v)");
	}
	free(log);
	return fd < 0 ? -1 : fd;
}

int attach_kfunc(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	/* the cookie only matters (and is only sent) when the program
	 * serves several attach points */
	uint64_t cookie = mp->nattach > 1 ? mp->attach[a].cookie : 0;
	if (a == 0) {
		LIBBPF_OPTS(bpf_trace_opts, o, .cookie = cookie);
		struct bpf_link *l = bpf_program__attach_trace_opts(prog_of(bt, p), &o);
		if (!l)
			return -1;
		hold_link(bt, p, l);
		return 0;
	}
	if (!mp->attach[a].ap || !mp->attach[a].ap->func)
		return -1;
	int prog_fd = load_copy(bt, p, a);
	if (prog_fd < 0)
		return -2;
	LIBBPF_OPTS(bpf_link_create_opts, lo, .tracing.cookie = cookie);
	int link = bpf_link_create(prog_fd, 0, bpf_program__expected_attach_type(prog_of(bt, p)),
				   &lo);
	close(prog_fd);   /* the link holds the program */
	if (link < 0)
		return -1;
	hold_fd(bt, p, link, 0);
	return 0;
}
