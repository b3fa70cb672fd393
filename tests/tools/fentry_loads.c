/* fentry_loads.c - test helper for tests/check_sys.bats: does this kernel
 * load an fentry program (on vfs_read)?  Exit 0 if it does, 1 if it does
 * not, 2 without kernel BTF.  Our own small libbpf loader, independent of
 * bt-check. */
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
int main(void)
{
	struct btf *b = btf__load_vmlinux_btf();
	int id = b ? btf__find_by_name_kind(b, "vfs_read", BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return 2;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);
	return fd < 0;
}
