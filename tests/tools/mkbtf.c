/* mkbtf.c - write a synthetic kernel BTF for the CO-RE tests
 * (tests/core.bats): a struct task_struct whose members have other
 * offsets than on any real kernel (pid and tgid swapped, the in_execve
 * bit-field elsewhere, a smaller sched_entity), plus one member that no
 * kernel has, an enum pid_type with other values, and a vfs_read() whose
 * parameters are in another order.  An
 * object compiled against it reads the right values on the real kernel
 * only if its accesses are relocated; its kfunc:vfs_read arguments are
 * refused.
 *
 * usage: mkbtf OUT
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

static void check(int id, const char *what)
{
	if (id < 0) {
		fprintf(stderr, "mkbtf: %s failed (%d)\n", what, id);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkbtf OUT\n");
		return 2;
	}
	struct btf *b = btf__new_empty();
	int t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int t_uint = btf__add_int(b, "unsigned int", 4, 0);
	int t_char = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	int t_ulong = btf__add_int(b, "long unsigned int", 8, 0);
	int t_comm = btf__add_array(b, t_int, t_char, 16);
	check(t_comm, "types");

	int t_lw = btf__add_struct(b, "load_weight", 16);
	check(btf__add_field(b, "inv_weight", t_uint, 0, 0), "inv_weight");
	check(btf__add_field(b, "weight", t_ulong, 64, 0), "weight");

	int t_se = btf__add_struct(b, "sched_entity", 32);
	check(btf__add_field(b, "load", t_lw, 128, 0), "load");

	int t_task = btf__add_struct(b, "task_struct", 128);
	int t_taskp = t_task + 1; /* the pointer type added below */
	check(btf__add_field(b, "tgid", t_int, 0, 0), "tgid");
	check(btf__add_field(b, "pid", t_int, 32, 0), "pid");
	check(btf__add_field(b, "in_execve", t_uint, 64 + 13, 1), "in_execve");
	check(btf__add_field(b, "comm", t_comm, 96, 0), "comm");
	check(btf__add_field(b, "real_parent", t_taskp, 256, 0), "real_parent");
	check(btf__add_field(b, "se", t_se, 384, 0), "se");
	check(btf__add_field(b, "no_such_field_on_any_kernel", t_int, 640, 0), "extra");
	check(btf__add_ptr(b, t_task), "ptr");

	/* long vfs_read(size_t count, struct file *file) */
	int t_file = btf__add_fwd(b, "file", BTF_FWD_STRUCT);
	int t_filep = btf__add_ptr(b, t_file);
	int t_long = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	int t_proto = btf__add_func_proto(b, t_long);
	check(btf__add_func_param(b, "count", t_ulong), "count");
	check(btf__add_func_param(b, "file", t_filep), "file");
	check(btf__add_func(b, "vfs_read", BTF_FUNC_GLOBAL, t_proto), "vfs_read");

	/* enum pid_type with other values than any kernel's */
	int t_enum = btf__add_enum(b, "pid_type", 4);
	check(t_enum, "enum");
	check(btf__add_enum_value(b, "PIDTYPE_PID", 10), "PIDTYPE_PID");
	check(btf__add_enum_value(b, "PIDTYPE_TGID", 11), "PIDTYPE_TGID");
	check(btf__add_enum_value(b, "PIDTYPE_NO_SUCH_VALUE", 12), "PIDTYPE_NO_SUCH_VALUE");

	__u32 size;
	const void *raw = btf__raw_data(b, &size);
	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(raw, 1, size, f) != size || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	btf__free(b);
	return 0;
}
