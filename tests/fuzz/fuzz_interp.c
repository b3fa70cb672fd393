/* fuzz_interp.c - random instruction streams through bt-load's BPF
 * interpreter (bt-load/interp/): decoding must refuse or accept, running
 * must end (the budget) with a result or one error line; nothing may
 * crash, hang or trip ASan/UBSan.  Programs see a hash map, an array, an
 * LRU hash and a ring buffer through pseudo ld_imm64 instructions, and a
 * 48-byte context.
 *
 *   interp_fuzz SEED COUNT      COUNT programs generated from SEED, mostly
 *                               valid opcodes (the interesting paths)
 *   built with -DLIBFUZZER      LLVMFuzzerTestOneInput: the bytes are the
 *                               instructions
 * Prints how many programs decoded and ran, and the instructions run. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "vm.h"

#define FUZZ_BUDGET 4000

static const uint8_t valid_codes[] = {
	0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f,
	0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0x04, 0x0c, 0x14,
	0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84,
	0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc, 0x05, 0x15, 0x1d, 0x25,
	0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5,
	0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x16, 0x1e, 0x26, 0x56, 0x66, 0xa6, 0xc6, 0x85, 0x95,
	0x18, 0x61, 0x69, 0x71, 0x79, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3,
	0xdb,
};

static const int helper_ids[] = {
	BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem, BPF_FUNC_map_delete_elem,
	BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_str, BPF_FUNC_ktime_get_ns,
	BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_comm, BPF_FUNC_ringbuf_output,
	BPF_FUNC_ringbuf_query, BPF_FUNC_for_each_map_elem, BPF_FUNC_trace_printk,
	BPF_FUNC_get_prandom_u32, BPF_FUNC_strncmp, BPF_FUNC_loop, BPF_FUNC_get_stackid,
};

static const int atomic_ops[] = {
	BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG, 0x77,
};

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void no_output(void *ctx, const char *msg, size_t n) { (void)ctx; (void)msg; (void)n; }

static int drop(void *ctx, void *data, size_t n)
{
	(void)data;
	*(size_t *)ctx += n;
	return 0;
}

static uint64_t g_decoded, g_ran, g_insns;

/* Decode and run n instructions; maps are bound through relocations of
 * every ld_imm64 whose src says "map" (1) or "map value" (2). */
static void one(const struct bpf_insn *in, size_t n)
{
	struct vm *vm = vm_new();
	vm->budget = FUZZ_BUDGET;
	vm->env.trace_printk = no_output;
	static const struct vm_map_def defs[] = {
		{ .name = "h", .type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 8, .value_size = 16,
		  .max_entries = 8 },
		{ .name = "a", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 24,
		  .max_entries = 4 },
		{ .name = "l", .type = BPF_MAP_TYPE_LRU_HASH, .key_size = 4, .value_size = 8,
		  .max_entries = 2 },
		{ .name = "r", .type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096 },
	};
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		vm_add_map(vm, &defs[i]);
	struct vm_reloc *rel = calloc(n ? n : 1, sizeof *rel);
	size_t nr = 0;
	for (size_t i = 0; rel && i < n; i++) {
		if (in[i].code != (BPF_LD | BPF_IMM | BPF_DW) || (in[i].src_reg != 1 && in[i].src_reg != 2))
			continue;
		rel[nr++] = (struct vm_reloc){
			.insn = (uint32_t)i,
			.kind = in[i].src_reg == 1 ? VM_RELOC_MAP : VM_RELOC_MAP_VALUE,
			.map = (uint32_t)in[i].imm % 5,   /* 4: a map that does not exist */
			.target = (uint32_t)in[i].off % 32,
		};
	}
	int p = rel ? vm_add_prog(vm, "fuzz", in, n, rel, nr) : -1;
	if (p >= 0) {
		g_decoded++;
		uint8_t ctx[48];
		memset(ctx, 0x5a, sizeof ctx);
		uint64_t ret;
		if (vm_run(vm, p, ctx, sizeof ctx, &ret) == 0)
			g_ran++;
		else if (!vm->err[0])
			abort();   /* an error must say why */
		size_t bytes = 0;
		vm_ring_consume(vm_map_at(vm, 3), drop, &bytes);
	} else if (!vm->err[0] && rel) {
		abort();
	}
	g_insns += vm->executed;
	free(rel);
	vm_free(vm);
}

static struct bpf_insn random_insn(size_t i, size_t n)
{
	struct bpf_insn x = { 0 };
	uint64_t r = rnd();
	x.code = r % 32 ? valid_codes[(r >> 8) % sizeof valid_codes] : (uint8_t)(r >> 16);
	x.dst_reg = (r >> 24) % 16 ? (r >> 28) % 10 : (r >> 28) % 16;
	x.src_reg = (r >> 32) % 16 ? (r >> 36) % 11 : (r >> 36) % 16;
	int64_t span = (int64_t)n;
	x.off = (int16_t)((r >> 40) % 4 ? (int64_t)((r >> 44) % (uint64_t)(2 * span + 1)) - span
				   : (int16_t)(r >> 44));
	x.imm = (int32_t)((r >> 48) % 4 ? (int64_t)((r >> 50) % 64) - 16 : (int32_t)rnd());
	if (BPF_CLASS(x.code) == BPF_LDX || BPF_CLASS(x.code) == BPF_ST ||
	    BPF_CLASS(x.code) == BPF_STX) {
		if ((r >> 20) % 2)   /* stack-relative: often in bounds */
			x.src_reg = BPF_CLASS(x.code) == BPF_LDX ? 10 : x.src_reg;
		if ((r >> 21) % 2 && BPF_CLASS(x.code) != BPF_LDX)
			x.dst_reg = 10;
		x.off = (int16_t)(-(int16_t)((r >> 44) % 520));
	}
	if (x.code == (BPF_STX | BPF_ATOMIC | BPF_W) || x.code == (BPF_STX | BPF_ATOMIC | BPF_DW))
		x.imm = atomic_ops[(r >> 52) % (sizeof atomic_ops / sizeof *atomic_ops)];
	if (x.code == (BPF_JMP | BPF_CALL)) {
		x.src_reg = (r >> 36) % 8 ? 0 : 1;
		x.imm = x.src_reg ? (int32_t)((r >> 50) % (uint64_t)(n + 1)) - (int32_t)i
				  : helper_ids[(r >> 52) % (sizeof helper_ids / sizeof *helper_ids)];
	}
	if (x.code == (BPF_LD | BPF_IMM | BPF_DW))
		x.src_reg = (r >> 36) % 3;
	bool jmp = BPF_CLASS(x.code) == BPF_JMP || BPF_CLASS(x.code) == BPF_JMP32;
	if (jmp && BPF_OP(x.code) != BPF_CALL && BPF_OP(x.code) != BPF_EXIT && (r >> 60) % 8)
		x.off = (int16_t)((int64_t)(rnd() % n) - (int64_t)i - 1);
	if (BPF_CLASS(x.code) == BPF_ALU || BPF_CLASS(x.code) == BPF_ALU64) {
		x.off = (r >> 60) % 16 ? 0 : x.off;
		if (BPF_OP(x.code) == BPF_END)
			x.imm = 16 << ((r >> 52) % 3);
	}
	return x;
}

#ifdef LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct bpf_insn);
	if (n == 0 || n > 4096)
		return 0;
	struct bpf_insn *in = malloc(n * sizeof *in);
	memcpy(in, data, n * sizeof *in);
	one(in, n);
	free(in);
	return 0;
}
#else
int main(int argc, char **argv)
{
	rng_state = argc > 1 ? strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ull + 1 : 1;
	long count = argc > 2 ? strtol(argv[2], NULL, 0) : 10000;
	struct bpf_insn in[64];
	for (long k = 0; k < count; k++) {
		size_t n = 1 + rnd() % 63;
		for (size_t i = 0; i < n; i++)
			in[i] = random_insn(i, n);
		/* most programs end with exit, so that more of them decode */
		if (rnd() % 4)
			in[n - 1] = EXIT();
		/* the second half of a ld_imm64 */
		for (size_t i = 0; i + 1 < n; i++)
			if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && rnd() % 4) {
				in[i + 1] = (struct bpf_insn){ .imm = (int32_t)rnd() };
				i++;
			}
		one(in, n);
	}
	printf("%ld programs, %llu decoded, %llu ran to exit, %llu instructions run\n", count,
	       (unsigned long long)g_decoded, (unsigned long long)g_ran,
	       (unsigned long long)g_insns);
	return 0;
}
#endif
