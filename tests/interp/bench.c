/* bench.c - instructions per second of bt-load's BPF interpreter (make
 * bench).  Two loops, each run for about a second of CPU time:
 *   alu     arithmetic, a stack store and load, a compare-and-branch per
 *           iteration (what expression-heavy probe bodies execute)
 *   maps    a hash map lookup and an in-place increment per iteration
 *           (what @x[k] = count() executes), helper call included */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "insn.h"
#include "vm.h"

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(const char *name, struct vm *vm, const struct bpf_insn *in, size_t n,
		  const struct vm_reloc *r, size_t nr)
{
	int p = vm_add_prog(vm, name, in, n, r, nr);
	if (p < 0) {
		printf("%s: %s\n", name, vm->err);
		return;
	}
	vm->budget = 1ull << 40;
	uint64_t before = vm->executed, ret;
	double t0 = cpu_seconds(), t;
	int runs = 0;
	do {
		if (vm_run(vm, p, NULL, 0, &ret) < 0) {
			printf("%s: %s\n", name, vm->err);
			return;
		}
		runs++;
		t = cpu_seconds() - t0;
	} while (t < 1.0);
	double ips = (double)(vm->executed - before) / t;
	printf("interpreter %-5s %8.1f M instructions/s (%d runs, %.2f s)\n", name, ips / 1e6,
	       runs, t);
}

int main(void)
{
	struct vm *vm = vm_new();
	/* r0 = 0; r1 = 0; loop: r0 += r1; r0 ^= 0x55; *(fp-8) = r0; r2 = *(fp-8);
	 * r0 = r2 * 3; r0 >>= 1; r1 += 1; if r1 != N goto loop; exit */
	const struct bpf_insn alu[] = {
		MOV64_IMM(0, 0), MOV64_IMM(1, 0),
		ALU64_REG(BPF_ADD, 0, 1), ALU64_IMM(BPF_XOR, 0, 0x55), STX(BPF_DW, 10, 0, -8),
		LDX(BPF_DW, 2, 10, -8), MOV64_REG(0, 2), ALU64_IMM(BPF_MUL, 0, 3),
		ALU64_IMM(BPF_RSH, 0, 1), ALU64_IMM(BPF_ADD, 1, 1),
		JMP_IMM(BPF_JNE, 1, 10000000, -9), EXIT(),
	};
	bench("alu", vm, alu, sizeof alu / sizeof *alu, NULL, 0);

	struct vm_map_def d = { .name = "h", .type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 8,
				.value_size = 8, .max_entries = 4096 };
	int h = vm_add_map(vm, &d);
	uint64_t k, zero = 0;
	for (k = 0; k < 64; k++)
		vm_map_update(vm, vm_map_at(vm, (uint32_t)h), &k, &zero, BPF_ANY);
	/* r6 = 0; loop: *(fp-8) = r6 & 63; r2 = fp-8; r1 = map; call lookup;
	 * if r0 == 0 goto skip; r1 = *r0; r1 += 1; *r0 = r1; skip: r6 += 1;
	 * if r6 != N goto loop; exit */
	const struct bpf_insn maps[] = {
		MOV64_IMM(6, 0),
		MOV64_REG(1, 6), ALU64_IMM(BPF_AND, 1, 63), STX(BPF_DW, 10, 1, -8),
		MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8), LD_IMM64_LO(1, 0, 0), LD_IMM64_HI(0),
		CALL(BPF_FUNC_map_lookup_elem), JMP_IMM(BPF_JEQ, 0, 0, 3), LDX(BPF_DW, 1, 0, 0),
		ALU64_IMM(BPF_ADD, 1, 1), STX(BPF_DW, 0, 1, 0), ALU64_IMM(BPF_ADD, 6, 1),
		JMP_IMM(BPF_JNE, 6, 1000000, -14), MOV64_IMM(0, 0), EXIT(),
	};
	struct vm_reloc rel = { .insn = 6, .kind = VM_RELOC_MAP, .map = (uint32_t)h };
	bench("maps", vm, maps, sizeof maps / sizeof *maps, &rel, 1);
	vm_free(vm);
	return 0;
}
