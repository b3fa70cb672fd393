/* feature.c - kernel features bt-check must know before accepting a
 * program: whether kfunc/kretfunc (fentry/fexit) programs can be loaded.
 * Live, it is decided the way bpftrace decides it: by loading a trivial
 * fentry program on a kernel function; with a sysroot, from the
 * snapshot's `features` lines (ir-spec/snapshot.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "arena.h"
#include "sys_int.h"

#define FEATURES_KEY "features"

/* A kernel function to aim the test program at: a long-lived one, else
 * the first function BTF describes. */
static int probe_target(const struct btf *b)
{
	int id = btf__find_by_name_kind(b, "vfs_read", BTF_KIND_FUNC);
	if (id > 0)
		return id;
	for (unsigned i = 1; i < btf__type_cnt(b); i++)
		if (btf_is_func(btf__type_by_id(b, i)))
			return (int)i;
	return -1;
}

/* Can an fentry program ("r0 = 0; exit") be loaded here?  The BTF ids
 * must be the running kernel's, so BPFTRACE_BTF is not used for this. */
static bool fentry_loads(struct sys *s)
{
	const char *env = getenv("BPFTRACE_BTF");
	struct btf *own = NULL, *b;
	if (env && *env)
		b = own = btf__load_vmlinux_btf();
	else
		b = sys_btf(s);
	int id = b ? probe_target(b) : -1;
	if (own)
		btf__free(own);
	if (id < 0)
		return false;
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = (__u32)id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns,
			       sizeof insns / sizeof insns[0], &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool sys_kfunc_supported(struct sys *s)
{
	if (s->kfunc_known)
		return s->kfunc_ok;
	s->kfunc_known = true;
	if (s->sysroot) {
		char *f = sys_snap_read(s, FEATURES_KEY, NULL);
		if (f)
			s->kfunc_ok = strstr(f, "kfunc 1") != NULL;
		else
			s->kfunc_ok = sys_snap_read(s, "tracefs/available_filter_functions",
						    NULL) != NULL;
		return s->kfunc_ok;
	}
	s->kfunc_ok = fentry_loads(s);
	sys_src_note_line(s, FEATURES_KEY, s->kfunc_ok ? "kfunc 1" : "kfunc 0");
	return s->kfunc_ok;
}
