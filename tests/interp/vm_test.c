/* vm_test.c - unit tests of bt-load's BPF interpreter (bt-load/interp/):
 * instruction semantics as the kernel defines them, bounds checks, the
 * budget, what decoding refuses, maps, helpers, calls.  Each case prints
 * "ok NAME" or "FAIL NAME: why"; the exit status is the number of
 * failures.  Run by tests/interp.bats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "vm.h"

static int failures;

#define CHECK(name, cond, ...)                                            \
	do {                                                              \
		if (cond) {                                               \
			printf("ok %s\n", name);                          \
		} else {                                                  \
			printf("FAIL %s: ", name);                        \
			printf(__VA_ARGS__);                              \
			printf("\n");                                     \
			failures++;                                       \
		}                                                         \
	} while (0)

#define N(a) (sizeof(a) / sizeof *(a))

/* Run insns (with relocations) in a fresh vm holding maps; r0 or the
 * error text in err. */
static int run(struct vm *vm, const struct bpf_insn *in, size_t n, const struct vm_reloc *r,
	       size_t nr, uint64_t *ret)
{
	int p = vm_add_prog(vm, "test", in, n, r, nr);
	if (p < 0)
		return -2;
	return vm_run(vm, p, NULL, 0, ret);
}

static uint64_t ret_of(const struct bpf_insn *in, size_t n, int *rc, char *err, size_t errn)
{
	struct vm *vm = vm_new();
	uint64_t ret = 0;
	*rc = run(vm, in, n, NULL, 0, &ret);
	snprintf(err, errn, "%s", vm->err);
	vm_free(vm);
	return ret;
}

#define EXPECT_RET(name, want, ...)                                                 \
	do {                                                                        \
		const struct bpf_insn prog_[] = { __VA_ARGS__ };                    \
		int rc_;                                                            \
		char e_[512];                                                       \
		uint64_t got_ = ret_of(prog_, N(prog_), &rc_, e_, sizeof e_);       \
		CHECK(name, rc_ == 0 && got_ == (uint64_t)(want),                   \
		      "rc %d, r0 0x%llx, want 0x%llx (%s)", rc_,                    \
		      (unsigned long long)got_, (unsigned long long)(uint64_t)(want), e_); \
	} while (0)

#define EXPECT_ERR(name, text, ...)                                                 \
	do {                                                                        \
		const struct bpf_insn prog_[] = { __VA_ARGS__ };                    \
		int rc_;                                                            \
		char e_[512];                                                       \
		ret_of(prog_, N(prog_), &rc_, e_, sizeof e_);                       \
		CHECK(name, rc_ != 0 && strstr(e_, text), "rc %d, error '%s', want '%s'", \
		      rc_, e_, text);                                               \
	} while (0)

static void alu(void)
{
	EXPECT_RET("alu64 add", 5, MOV64_IMM(0, 2), ALU64_IMM(BPF_ADD, 0, 3), EXIT());
	EXPECT_RET("alu64 imm sign-extends", 0xffffffffffffffffull, MOV64_IMM(0, -1), EXIT());
	EXPECT_RET("alu32 zero-extends", 0xffffffffull, MOV32_IMM(0, -1), EXIT());
	EXPECT_RET("alu32 add wraps", 1, MOV64_IMM(0, -1), ALU32_IMM(BPF_ADD, 0, 2), EXIT());
	EXPECT_RET("div by zero is 0", 0, MOV64_IMM(0, 7), MOV64_IMM(1, 0),
		   ALU64_REG(BPF_DIV, 0, 1), EXIT());
	EXPECT_RET("mod by zero keeps the dividend", 7, MOV64_IMM(0, 7), MOV64_IMM(1, 0),
		   ALU64_REG(BPF_MOD, 0, 1), EXIT());
	EXPECT_RET("alu32 mod by zero truncates", 0xffffffffull, MOV64_IMM(0, -1), MOV64_IMM(1, 0),
		   ALU32_REG(BPF_MOD, 0, 1), EXIT());
	EXPECT_RET("div is unsigned", 0x7fffffffffffffffull, MOV64_IMM(0, -1), MOV64_IMM(1, 2),
		   ALU64_REG(BPF_DIV, 0, 1), EXIT());
	EXPECT_RET("shift amount masked", 2, MOV64_IMM(0, 1), MOV64_IMM(1, 65),
		   ALU64_REG(BPF_LSH, 0, 1), EXIT());
	EXPECT_RET("alu32 shift masked to 31", 2, MOV64_IMM(0, 1), MOV64_IMM(1, 33),
		   ALU32_REG(BPF_LSH, 0, 1), EXIT());
	EXPECT_RET("arsh", 0xfffffffffffffffeull, MOV64_IMM(0, -4), ALU64_IMM(BPF_ARSH, 0, 1),
		   EXIT());
	EXPECT_RET("alu32 arsh", 0xfffffffeull, MOV64_IMM(0, -4), ALU32_IMM(BPF_ARSH, 0, 1),
		   EXIT());
	EXPECT_RET("neg", 0xfffffffffffffffbull, MOV64_IMM(0, 5), ALU64_IMM(BPF_NEG, 0, 0), EXIT());
	EXPECT_RET("to_be 16", 0x3412, MOV64_IMM(0, 0x1234),
		   I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 16), EXIT());
	EXPECT_RET("to_be 64", 0x0100000000000000ull, MOV64_IMM(0, 1),
		   I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 64), EXIT());
	EXPECT_RET("to_le 32 truncates", 0xffffffffull, MOV64_IMM(0, -1),
		   I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 32), EXIT());
	EXPECT_RET("ld_imm64", 0x1122334455667788ull, LD_IMM64_LO(0, 0, 0x1122334455667788ull),
		   LD_IMM64_HI(0x1122334455667788ull), EXIT());
	EXPECT_RET("mul xor or and sub", (((6 * 7) ^ 1) | 0x100) & 0x1ff,
		   MOV64_IMM(0, 6), ALU64_IMM(BPF_MUL, 0, 7), ALU64_IMM(BPF_XOR, 0, 1),
		   ALU64_IMM(BPF_OR, 0, 0x100), ALU64_IMM(BPF_AND, 0, 0x1ff), EXIT());
}

static void jumps(void)
{
	/* r0 = 1 if the jump is taken, else 2 */
#define TAKEN(name, want, setup, j) \
	EXPECT_RET(name, want, setup, j, MOV64_IMM(0, 2), EXIT(), MOV64_IMM(0, 1), EXIT())
	TAKEN("jgt unsigned", 1, MOV64_IMM(1, -1), JMP_IMM(BPF_JGT, 1, 5, 2));
	TAKEN("jsgt signed", 2, MOV64_IMM(1, -1), JMP_IMM(BPF_JSGT, 1, 5, 2));
	TAKEN("jslt signed", 1, MOV64_IMM(1, -1), JMP_IMM(BPF_JSLT, 1, 5, 2));
	TAKEN("jset", 1, MOV64_IMM(1, 6), JMP_IMM(BPF_JSET, 1, 2, 2));
	EXPECT_RET("jmp32 jeq low half", 1, LD_IMM64_LO(1, 0, 0x100000005ull),
		   LD_IMM64_HI(0x100000005ull), JMP32_IMM(BPF_JEQ, 1, 5, 2), MOV64_IMM(0, 2),
		   EXIT(), MOV64_IMM(0, 1), EXIT());
	EXPECT_RET("jeq 64 sees the high half", 2, LD_IMM64_LO(1, 0, 0x100000005ull),
		   LD_IMM64_HI(0x100000005ull), JMP_IMM(BPF_JEQ, 1, 5, 2), MOV64_IMM(0, 2),
		   EXIT(), MOV64_IMM(0, 1), EXIT());
	EXPECT_RET("loop of 1000", 1000, MOV64_IMM(0, 0), ALU64_IMM(BPF_ADD, 0, 1),
		   JMP_IMM(BPF_JNE, 0, 1000, -2), EXIT());
}

static void memory(void)
{
	EXPECT_RET("stack store/load sizes", 0x44332211 + 0x2211 + 0x11 + 0x8877665544332211ull,
		   LD_IMM64_LO(1, 0, 0x8877665544332211ull), LD_IMM64_HI(0x8877665544332211ull),
		   STX(BPF_DW, 10, 1, -8), LDX(BPF_W, 2, 10, -8), LDX(BPF_H, 3, 10, -8),
		   LDX(BPF_B, 4, 10, -8), LDX(BPF_DW, 0, 10, -8), ALU64_REG(BPF_ADD, 0, 2),
		   ALU64_REG(BPF_ADD, 0, 3), ALU64_REG(BPF_ADD, 0, 4), EXIT());
	EXPECT_RET("st imm", 0xffffffffffffff85ull, ST(BPF_DW, 10, -16, -123),
		   LDX(BPF_DW, 0, 10, -16), EXIT());
	EXPECT_RET("stack starts zeroed", 0, LDX(BPF_DW, 0, 10, -512), EXIT());
	EXPECT_ERR("read above the stack", "8-byte read at 0x0000000100001000 is outside the stack",
		   LDX(BPF_DW, 0, 10, 0), EXIT());
	EXPECT_ERR("read below the stack", "outside", MOV64_REG(1, 10),
		   ALU64_IMM(BPF_SUB, 1, 4097), LDX(BPF_B, 0, 1, 0), EXIT());
	EXPECT_ERR("NULL read", "outside no memory (NULL or an integer)", MOV64_IMM(1, 0),
		   LDX(BPF_DW, 0, 1, 0), EXIT());
	EXPECT_ERR("host pointer is no address", "outside", LD_IMM64_LO(1, 0, 0x7ffd12345678ull),
		   LD_IMM64_HI(0x7ffd12345678ull), STX(BPF_DW, 1, 1, 0), EXIT());
	EXPECT_ERR("context of 0 bytes", "outside the probe's context (0 bytes)",
		   LDX(BPF_DW, 0, 1, 0), EXIT());
	EXPECT_ERR("straddling the top", "4-byte read", LDX(BPF_W, 0, 10, -2), EXIT());
	EXPECT_RET("atomic add", 5, ST(BPF_DW, 10, -8, 2), MOV64_IMM(1, 3),
		   ATOMIC(BPF_DW, BPF_ADD, 10, 1, -8), LDX(BPF_DW, 0, 10, -8), EXIT());
	EXPECT_RET("atomic fetch add returns the old value", 2, ST(BPF_DW, 10, -8, 2),
		   MOV64_IMM(0, 3), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 10, 0, -8), EXIT());
	EXPECT_RET("atomic xchg", 0x902, ST(BPF_W, 10, -8, 2), MOV64_IMM(1, 9),
		   ATOMIC(BPF_W, BPF_XCHG, 10, 1, -8), LDX(BPF_W, 0, 10, -8),
		   ALU64_IMM(BPF_LSH, 0, 8), ALU64_REG(BPF_OR, 0, 1), EXIT());
	EXPECT_RET("atomic cmpxchg swaps on equal", 7, ST(BPF_DW, 10, -8, 2), MOV64_IMM(0, 2),
		   MOV64_IMM(1, 7), ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 1, -8), LDX(BPF_DW, 0, 10, -8),
		   EXIT());
	EXPECT_RET("atomic cmpxchg keeps on unequal", 2, ST(BPF_DW, 10, -8, 2), MOV64_IMM(0, 3),
		   MOV64_IMM(1, 7), ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 1, -8), LDX(BPF_DW, 0, 10, -8),
		   EXIT());
}

static void limits(void)
{
	struct vm *vm = vm_new();
	vm->budget = 1000;
	const struct bpf_insn loop[] = { MOV64_IMM(0, 0), JA(-1), EXIT() };
	uint64_t ret;
	int rc = run(vm, loop, N(loop), NULL, 0, &ret);
	CHECK("budget", rc == -1 && strstr(vm->err, "ran more than 1000 instructions"), "rc %d: %s",
	      rc, vm->err);
	vm_free(vm);

	/* decoding refuses */
	EXPECT_ERR("jump outside", "jump outside the program", JA(5), EXIT());
	EXPECT_ERR("writes r10", "writes the frame pointer", MOV64_IMM(10, 0), EXIT());
	EXPECT_ERR("runs off the end", "can run past its last instruction", MOV64_IMM(0, 0));
	EXPECT_ERR("jump into ld_imm64", "middle of a 64-bit load", JA(1), LD_IMM64_LO(0, 0, 1),
		   LD_IMM64_HI(1), EXIT());
	EXPECT_ERR("legacy packet load", "unsupported", I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0),
		   EXIT());
	EXPECT_ERR("cpu v4 sdiv", "unsupported ALU", I(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 1, 3),
		   EXIT());
	EXPECT_ERR("bad register", "register out of range", I(BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 0),
		   EXIT());
	EXPECT_ERR("kstack refused", "kstack/ustack needs the kernel", CALL(BPF_FUNC_get_stackid),
		   EXIT());
	EXPECT_ERR("unknown helper", "helper 999 cannot be interpreted", CALL(999), EXIT());
	EXPECT_ERR("map pseudo ld_imm64 without relocation", "without relocation",
		   LD_IMM64_LO(1, BPF_PSEUDO_MAP_FD, 3), LD_IMM64_HI(0), EXIT());
}

static void calls(void)
{
	/* main: r6 = 5; r1 = 10; call f; r0 += r6; exit.  f: r6 = 100;
	 * store to its own stack; r0 = r1 * 2; exit */
	EXPECT_RET("bpf-to-bpf call keeps r6..r9 and the stack", 26, MOV64_IMM(6, 5), ST(BPF_DW, 10, -8, 1),
		   MOV64_IMM(1, 10), CALL_LOCAL(4), ALU64_REG(BPF_ADD, 0, 6),
		   LDX(BPF_DW, 1, 10, -8), ALU64_REG(BPF_ADD, 0, 1), EXIT(), MOV64_IMM(6, 100),
		   ST(BPF_DW, 10, -8, 99), MOV64_REG(0, 1), ALU64_IMM(BPF_MUL, 0, 2), EXIT());
	EXPECT_ERR("recursion is bounded", "nested calls", CALL_LOCAL(-1), EXIT());
}

static struct vm *vm_with_maps(int *hash, int *array, int *lru, int *ring)
{
	struct vm *vm = vm_new();
	struct vm_map_def h = { .name = "h", .type = BPF_MAP_TYPE_HASH, .key_size = 8,
				.value_size = 8, .max_entries = 2 };
	struct vm_map_def a = { .name = "a", .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
				.value_size = 8, .max_entries = 3 };
	struct vm_map_def l = { .name = "l", .type = BPF_MAP_TYPE_LRU_HASH, .key_size = 8,
				.value_size = 8, .max_entries = 2 };
	struct vm_map_def r = { .name = "r", .type = BPF_MAP_TYPE_RINGBUF, .max_entries = 64 };
	*hash = vm_add_map(vm, &h);
	*array = vm_add_map(vm, &a);
	*lru = vm_add_map(vm, &l);
	*ring = vm_add_map(vm, &r);
	return vm;
}

static void maps(void)
{
	int h, a, l, rb;
	struct vm *vm = vm_with_maps(&h, &a, &l, &rb);
	struct vm_map *hm = vm_map_at(vm, (uint32_t)h), *am = vm_map_at(vm, (uint32_t)a);
	struct vm_map *lm = vm_map_at(vm, (uint32_t)l), *rm = vm_map_at(vm, (uint32_t)rb);
	CHECK("maps made", hm && am && lm && rm, "%s", vm->err);
	uint64_t k1 = 1, k2 = 2, k3 = 3, v = 10, out;
	CHECK("hash insert", vm_map_update(vm, hm, &k1, &v, BPF_ANY) == 0, "-");
	CHECK("hash noexist", vm_map_update(vm, hm, &k1, &v, BPF_NOEXIST) == -EEXIST, "-");
	CHECK("hash exist on absent", vm_map_update(vm, hm, &k2, &v, BPF_EXIST) == -ENOENT, "-");
	vm_map_update(vm, hm, &k2, &v, BPF_ANY);
	CHECK("hash full", vm_map_update(vm, hm, &k3, &v, BPF_ANY) == -E2BIG, "-");
	CHECK("hash next key from NULL", vm_map_next_key(vm, hm, NULL, &out) == 0 && out == 1, "-");
	CHECK("hash next key", vm_map_next_key(vm, hm, &k1, &out) == 0 && out == 2, "-");
	CHECK("hash next key at end", vm_map_next_key(vm, hm, &k2, &out) == -ENOENT, "-");
	CHECK("hash delete", vm_map_delete(vm, hm, &k1) == 0 && !vm_map_lookup(vm, hm, &k1) &&
	      vm_map_delete(vm, hm, &k1) == -ENOENT, "-");
	uint32_t i0 = 0, i3 = 3;
	CHECK("array out of range", vm_map_update(vm, am, &i3, &v, BPF_ANY) == -E2BIG &&
	      !vm_map_lookup(vm, am, &i3), "-");
	CHECK("array delete refused", vm_map_delete(vm, am, &i0) == -EINVAL, "-");
	CHECK("array slot zeroed", vm_map_lookup(vm, am, &i0)[0] == 0, "-");
	vm_map_update(vm, lm, &k1, &v, BPF_ANY);
	vm_map_update(vm, lm, &k2, &v, BPF_ANY);
	vm_map_lookup(vm, lm, &k1);   /* k2 is now the least recently used */
	CHECK("lru evicts", vm_map_update(vm, lm, &k3, &v, BPF_ANY) == 0 &&
	      !vm_map_lookup(vm, lm, &k2) && vm_map_lookup(vm, lm, &k1), "-");

	/* a program: lookup h[2], add 5 through the pointer, return the value */
	const struct bpf_insn prog[] = {
		ST(BPF_DW, 10, -8, 2), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8),
		LD_IMM64_LO(1, 0, 0), LD_IMM64_HI(0), CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, 0, 0, 4), LDX(BPF_DW, 1, 0, 0), ALU64_IMM(BPF_ADD, 1, 5),
		STX(BPF_DW, 0, 1, 0), MOV64_REG(0, 1), EXIT(),
	};
	struct vm_reloc rel = { .insn = 3, .kind = VM_RELOC_MAP, .map = (uint32_t)h };
	uint64_t ret = 0;
	int rc = run(vm, prog, N(prog), &rel, 1, &ret);
	CHECK("program updates a value in place", rc == 0 && ret == 15 &&
	      *(uint64_t *)vm_map_lookup(vm, hm, &k2) == 15, "rc %d ret %llu %s", rc,
	      (unsigned long long)ret, vm->err);
	/* reading past the value */
	const struct bpf_insn past[] = {
		ST(BPF_DW, 10, -8, 2), MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8),
		LD_IMM64_LO(1, 0, 0), LD_IMM64_HI(0), CALL(BPF_FUNC_map_lookup_elem),
		LDX(BPF_DW, 0, 0, 8), EXIT(),
	};
	rc = run(vm, past, N(past), &rel, 1, &ret);
	CHECK("read past a map value", rc == -1 && strstr(vm->err, "outside a 8-byte map value"),
	      "%s", vm->err);
	/* probe_read of an address that is not ours: -EFAULT, zeroed */
	const struct bpf_insn pr[] = {
		ST(BPF_DW, 10, -8, 77), MOV64_REG(1, 10), ALU64_IMM(BPF_ADD, 1, -8),
		MOV64_IMM(2, 8), LD_IMM64_LO(3, 0, 0x7fff0000), LD_IMM64_HI(0),
		CALL(BPF_FUNC_probe_read_kernel), LDX(BPF_DW, 1, 10, -8), ALU64_REG(BPF_ADD, 0, 1),
		EXIT(),
	};
	rc = run(vm, pr, N(pr), NULL, 0, &ret);
	CHECK("probe_read of foreign memory", rc == 0 && ret == (uint64_t)-EFAULT, "rc %d ret %lld %s",
	      rc, (long long)ret, vm->err);
	/* ring buffer of 64 bytes: a 16-byte record takes 24 (an 8-byte
	 * header): two fit */
	int fits = 0;
	uint64_t rec[2] = { 1, 2 };
	for (int k = 0; k < 4; k++)
		fits += vm_ring_output(rm, rec, 16) == 0;
	CHECK("ring buffer capacity", fits == 2 && vm_ring_query(rm, BPF_RB_AVAIL_DATA) == 48,
	      "fits %d avail %llu", fits, (unsigned long long)vm_ring_query(rm, 0));
	vm_free(vm);
}

static int count_records(void *ctx, void *data, size_t n)
{
	(void)data;
	*(size_t *)ctx += n;
	return 0;
}

static void ring_program(void)
{
	int h, a, l, rb;
	struct vm *vm = vm_with_maps(&h, &a, &l, &rb);
	const struct bpf_insn prog[] = {
		ST(BPF_DW, 10, -8, 30000), LD_IMM64_LO(1, 0, 0), LD_IMM64_HI(0),
		MOV64_REG(2, 10), ALU64_IMM(BPF_ADD, 2, -8), MOV64_IMM(3, 8), MOV64_IMM(4, 0),
		CALL(BPF_FUNC_ringbuf_output), EXIT(),
	};
	struct vm_reloc rel = { .insn = 1, .kind = VM_RELOC_MAP, .map = (uint32_t)rb };
	uint64_t ret = 1;
	int rc = run(vm, prog, N(prog), &rel, 1, &ret);
	size_t bytes = 0;
	long k = vm_ring_consume(vm_map_at(vm, (uint32_t)rb), count_records, &bytes);
	CHECK("ringbuf_output then consume", rc == 0 && ret == 0 && k == 1 && bytes == 8,
	      "rc %d ret %llu k %ld bytes %zu %s", rc, (unsigned long long)ret, k, bytes, vm->err);
	vm_free(vm);
}

int main(void)
{
	alu();
	jumps();
	memory();
	limits();
	calls();
	maps();
	ring_program();
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
