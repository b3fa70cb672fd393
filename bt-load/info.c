/* info.c - `--info`: system, build and kernel feature report on stderr in
 * bpftrace's layout (docs/bpftrace-compat.md "--info").  Every feature is
 * found by asking the kernel (loading tiny programs, creating maps), never
 * assumed.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "load.h"

#define BT_VERSION "v0.20.4"
#define BT_LLVM_VERSION "16.0.6"

static const char *yesno(bool b) { return b ? "yes" : "no"; }

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

static bool helper(enum bpf_prog_type t, enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(t, id, NULL) == 1;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Load insns as type t (attach type at, btf id); fd or -errno. */
static int try_load(enum bpf_prog_type t, enum bpf_attach_type at, int btf_id,
		    const struct bpf_insn *insns, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at,
		    .attach_btf_id = (uint32_t)btf_id);
	int fd = bpf_prog_load(t, NULL, "GPL", insns, n, &o);
	return fd < 0 ? -errno : fd;
}

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static bool loop_support(void)
{
	/* r0 = 3; loop: r0 -= 1; if r0 != 0 goto loop; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 3 },
		{ .code = BPF_ALU64 | BPF_SUB | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = -2, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = try_load(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0, insns, 4);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static bool fentry_support(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	int id = btf__find_by_name_kind(btf, "vfs_read", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0)
		return false;
	int fd = try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, ret0, 2);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static bool raw_tp_special(void)
{
	int fd = try_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, ret0, 2);
	if (fd < 0)
		return false;
	uint64_t args[1] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, to, .ctx_in = args, .ctx_size_in = sizeof args);
	bool ok = bpf_prog_test_run_opts(fd, &to) == 0;
	close(fd);
	return ok;
}

static bool map_batch(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 1, NULL);
	if (fd < 0)
		return false;
	uint32_t keys[1], vals[1], count = 1, out;
	int r = bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &count, NULL);
	close(fd);
	return r == 0 || errno == ENOENT;
}

static bool iter_support(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	int id = btf__find_by_name_kind(btf, "bpf_iter_task", BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0)
		return false;
	int fd = try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id, ret0, 2);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static bool module_btf(void)
{
	/* any BTF object besides vmlinux that is a module's */
	uint32_t id = 0;
	while (bpf_btf_get_next_id(id, &id) == 0) {
		int fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		struct bpf_btf_info info = { 0 };
		char name[64] = "";
		info.name = (uint64_t)(uintptr_t)name;
		info.name_len = sizeof name;
		uint32_t len = sizeof info;
		bool kernel = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.kernel_btf;
		close(fd);
		if (kernel && strcmp(name, "vmlinux") != 0)
			return true;
	}
	return false;
}

/* BPF_TRACE_UPROBE_MULTI (kernel 6.6) is newer than this libbpf's headers. */
static bool uprobe_multi_support(void)
{
	int fd = try_load(BPF_PROG_TYPE_KPROBE, (enum bpf_attach_type)48, 0, ret0, 2);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

int print_info(void)
{
	if (geteuid() != 0) {
		fputs("ERROR: bpftrace currently only supports running as the root user.\n", stderr);
		return 1;
	}
	libbpf_set_print(quiet);
	struct utsname u;
	uname(&u);
	FILE *f = stderr;
	const enum bpf_prog_type K = BPF_PROG_TYPE_KPROBE;
	fprintf(f, "System\n  OS: %s %s %s\n  Arch: %s\n\n", u.sysname, u.release, u.version,
		u.machine);
	fprintf(f, "Build\n  version: %s\n  LLVM: %s\n  unsafe probe: no\n  bfd: no\n"
		   "  libdw (DWARF support): yes\n\n", BT_VERSION, BT_LLVM_VERSION);
	fprintf(f, "Kernel helpers\n");
	fprintf(f, "  probe_read: %s\n", yesno(helper(K, BPF_FUNC_probe_read)));
	fprintf(f, "  probe_read_str: %s\n", yesno(helper(K, BPF_FUNC_probe_read_str)));
	fprintf(f, "  probe_read_user: %s\n", yesno(helper(K, BPF_FUNC_probe_read_user)));
	fprintf(f, "  probe_read_user_str: %s\n", yesno(helper(K, BPF_FUNC_probe_read_user_str)));
	fprintf(f, "  probe_read_kernel: %s\n", yesno(helper(K, BPF_FUNC_probe_read_kernel)));
	fprintf(f, "  probe_read_kernel_str: %s\n", yesno(helper(K, BPF_FUNC_probe_read_kernel_str)));
	fprintf(f, "  get_current_cgroup_id: %s\n", yesno(helper(K, BPF_FUNC_get_current_cgroup_id)));
	fprintf(f, "  send_signal: %s\n", yesno(helper(K, BPF_FUNC_send_signal)));
	fprintf(f, "  override_return: %s\n", yesno(helper(K, BPF_FUNC_override_return)));
	fprintf(f, "  get_boot_ns: %s\n", yesno(helper(K, BPF_FUNC_ktime_get_boot_ns)));
	bool fentry = fentry_support();
	fprintf(f, "  dpath: %s\n", yesno(fentry && helper(BPF_PROG_TYPE_TRACING, BPF_FUNC_d_path)));
	fprintf(f, "  skboutput: %s\n", yesno(fentry));
	fprintf(f, "  get_tai_ns: %s\n", yesno(helper(K, BPF_FUNC_ktime_get_tai_ns)));
	fprintf(f, "  get_func_ip: %s\n", yesno(helper(K, BPF_FUNC_get_func_ip)));
	fprintf(f, "  jiffies64: %s\n\n", yesno(helper(K, BPF_FUNC_jiffies64)));
	fprintf(f, "Kernel features\n  Instruction limit: %d\n  Loop support: %s\n  btf: %s\n"
		   "  module btf: %s\n  map batch: %s\n"
		   "  uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): %s\n\n",
		libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL) == 1 ? 1000000 : 4096,
		yesno(loop_support()), yesno(exists("/sys/kernel/btf/vmlinux")), yesno(module_btf()),
		yesno(map_batch()),
		yesno(exists("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset")));
	fprintf(f, "Map types\n");
	static const struct { const char *n; enum bpf_map_type t; } maps[] = {
		{ "hash", BPF_MAP_TYPE_HASH }, { "percpu hash", BPF_MAP_TYPE_PERCPU_HASH },
		{ "array", BPF_MAP_TYPE_ARRAY }, { "percpu array", BPF_MAP_TYPE_PERCPU_ARRAY },
		{ "stack_trace", BPF_MAP_TYPE_STACK_TRACE },
		{ "perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY },
		{ "ringbuf", BPF_MAP_TYPE_RINGBUF },
	};
	for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
		fprintf(f, "  %s: %s\n", maps[i].n,
			yesno(libbpf_probe_bpf_map_type(maps[i].t, NULL) == 1));
	fprintf(f, "\nProbe types\n");
	fprintf(f, "  kprobe: %s\n", yesno(libbpf_probe_bpf_prog_type(K, NULL) == 1));
	fprintf(f, "  tracepoint: %s\n",
		yesno(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) == 1));
	fprintf(f, "  perf_event: %s\n",
		yesno(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL) == 1));
	fprintf(f, "  kfunc: %s\n", yesno(fentry));
	fprintf(f, "  kprobe_multi: %s\n", yesno(kprobe_multi_supported()));
	fprintf(f, "  uprobe_multi: %s\n", yesno(uprobe_multi_support()));
	fprintf(f, "  raw_tp_special: %s\n", yesno(raw_tp_special()));
	fprintf(f, "  iter: %s\n\n", yesno(iter_support()));
	/* ours: bt-load --interpret (interp.c), bpftrace has no such section */
	fprintf(f, "Userspace interpreter\n  BEGIN, END and interval probes without privileges: yes "
		   "(--interpret; the default when not root)\n\n");
	return 0;
}
