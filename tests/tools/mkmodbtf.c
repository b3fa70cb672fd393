/* mkmodbtf.c - test helper for tests/kfunc.bats: writes the split BTF of
 * a module "ext4" on top of a vmlinux BTF, made with libbpf:
 * ext4_file_read_iter(struct kiocb *iocb, struct file *filp), struct kiocb
 * defined only in the module, struct file declared (FWD) in vmlinux and
 * defined in the module.
 *
 *   mkmodbtf VMLINUX_BTF OUT
 */
#include <stdio.h>
#include <bpf/btf.h>

int main(int argc, char **argv)
{
	struct btf *base = argc == 3 ? btf__parse(argv[1], NULL) : NULL;
	struct btf *b = base ? btf__new_empty_split(base) : NULL;
	if (!b)
		return 1;
	int i32 = btf__find_by_name_kind(base, "int", BTF_KIND_INT);
	int file_fwd = btf__find_by_name_kind(base, "file", BTF_KIND_FWD);
	int kiocb = btf__add_struct(b, "kiocb", 8);
	btf__add_field(b, "ki_flags", i32, 0, 0);
	btf__add_field(b, "ki_ioprio", i32, 32, 0);
	btf__add_struct(b, "file", 4);
	btf__add_field(b, "f_flags", i32, 0, 0);
	int kiocb_ptr = btf__add_ptr(b, kiocb);
	int file_ptr = btf__add_ptr(b, file_fwd);
	int proto = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "iocb", kiocb_ptr);
	btf__add_func_param(b, "filp", file_ptr);
	btf__add_func(b, "ext4_file_read_iter", BTF_FUNC_GLOBAL, proto);
	__u32 size;
	const void *raw = btf__raw_data(b, &size);
	FILE *f = fopen(argv[2], "w");
	return !raw || !f || fwrite(raw, 1, size, f) != size || fclose(f);
}
