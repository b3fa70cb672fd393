/* exec.c - the interpreter's execution loop, and the vm's life cycle.
 *
 * Instructions were checked and pre-decoded by decode.c, so the loop only
 * dispatches (computed goto on the opcode byte), checks memory accesses
 * against their region (mem.c) and counts instructions against the run's
 * budget.  Semantics are the kernel's: ALU32 results are zero-extended,
 * shift amounts are masked, division by zero gives 0 and modulo by zero
 * leaves the dividend, r1..r5 are the arguments of helpers and calls,
 * r6..r9 and r10 are saved across bpf-to-bpf calls, each call frame has
 * its own 512 bytes of stack.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define STACK_TOP ((uint32_t)sizeof(((struct vm *)0)->stack))

struct vm *vm_new(void)
{
	struct vm *vm = calloc(1, sizeof *vm);
	if (!vm)
		return NULL;
	region_new(vm, NULL, 0, false);                              /* NULL */
	region_new(vm, vm->stack, sizeof vm->stack, true);           /* REGION_STACK */
	region_new(vm, NULL, 0, false);                              /* REGION_CTX */
	vm->budget = VM_DEFAULT_BUDGET;
	vm->rng = 0x9e3779b97f4a7c15ull;
	return vm;
}

void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	for (uint32_t i = 0; i < vm->nprogs; i++) {
		free(vm->progs[i].name);
		free(vm->progs[i].insns);
	}
	free(vm->progs);
	vm_map_free_all(vm);
	regions_reap(vm);
	free(vm->regions);
	free(vm->free_regions);
	free(vm->dead);
	free(vm);
}

int vm_add_prog(struct vm *vm, const char *name, const struct bpf_insn *insns, size_t n,
		const struct vm_reloc *r, size_t nr)
{
	vm->err[0] = '\0';
	struct dinsn *d = vm_decode(vm, name, insns, n, r, nr);
	if (!d)
		return -1;
	struct vm_prog *np = realloc(vm->progs, (vm->nprogs + 1) * sizeof *np);
	if (!np) {
		free(d);
		snprintf(vm->err, sizeof vm->err, "out of memory");
		return -1;
	}
	vm->progs = np;
	np[vm->nprogs] = (struct vm_prog){ .name = strdup(name), .insns = d, .n = (uint32_t)n };
	return (int)vm->nprogs++;
}

int vm_find_prog(struct vm *vm, const char *name)
{
	for (uint32_t i = 0; i < vm->nprogs; i++)
		if (!strcmp(vm->progs[i].name, name))
			return (int)i;
	return -1;
}

static void fault(struct vm *vm, const struct vm_prog *p, const struct dinsn *ip,
		  uint64_t addr, unsigned size, bool write)
{
	char what[128];
	snprintf(vm->err, sizeof vm->err,
		 "program %s: instruction %td: %u-byte %s at 0x%016llx is outside %s", p->name,
		 ip - p->insns, size, write ? "write" : "read", (unsigned long long)addr,
		 region_what(vm, addr, what, sizeof what));
}

struct frame {
	const struct dinsn *ret;
	uint64_t saved[5];        /* r6..r10 */
};

/* Run p from pc with r1..r5 = args until the frame returns: 0 (*ret = r0)
 * or -1 (vm->err). */
static int exec(struct vm *vm, const struct vm_prog *p, uint32_t pc, const uint64_t args[5],
		uint64_t *ret)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
	static const void *const tbl[256] = {
		[0 ... 255] = &&bad,
#define ALU_ENTRIES(cls, pfx)                                                          \
	[cls | BPF_ADD | BPF_K] = &&pfx##add_k, [cls | BPF_ADD | BPF_X] = &&pfx##add_x,  \
	[cls | BPF_SUB | BPF_K] = &&pfx##sub_k, [cls | BPF_SUB | BPF_X] = &&pfx##sub_x,  \
	[cls | BPF_MUL | BPF_K] = &&pfx##mul_k, [cls | BPF_MUL | BPF_X] = &&pfx##mul_x,  \
	[cls | BPF_DIV | BPF_K] = &&pfx##div_k, [cls | BPF_DIV | BPF_X] = &&pfx##div_x,  \
	[cls | BPF_OR | BPF_K] = &&pfx##or_k, [cls | BPF_OR | BPF_X] = &&pfx##or_x,      \
	[cls | BPF_AND | BPF_K] = &&pfx##and_k, [cls | BPF_AND | BPF_X] = &&pfx##and_x,  \
	[cls | BPF_LSH | BPF_K] = &&pfx##lsh_k, [cls | BPF_LSH | BPF_X] = &&pfx##lsh_x,  \
	[cls | BPF_RSH | BPF_K] = &&pfx##rsh_k, [cls | BPF_RSH | BPF_X] = &&pfx##rsh_x,  \
	[cls | BPF_NEG | BPF_K] = &&pfx##neg,                                            \
	[cls | BPF_MOD | BPF_K] = &&pfx##mod_k, [cls | BPF_MOD | BPF_X] = &&pfx##mod_x,  \
	[cls | BPF_XOR | BPF_K] = &&pfx##xor_k, [cls | BPF_XOR | BPF_X] = &&pfx##xor_x,  \
	[cls | BPF_MOV | BPF_K] = &&pfx##mov_k, [cls | BPF_MOV | BPF_X] = &&pfx##mov_x,  \
	[cls | BPF_ARSH | BPF_K] = &&pfx##arsh_k, [cls | BPF_ARSH | BPF_X] = &&pfx##arsh_x
		ALU_ENTRIES(BPF_ALU64, a64_),
		ALU_ENTRIES(BPF_ALU, a32_),
		[BPF_ALU | BPF_END | BPF_TO_LE] = &&to_le,
		[BPF_ALU | BPF_END | BPF_TO_BE] = &&to_be,
#define JMP_ENTRIES(cls, pfx)                                                            \
	[cls | BPF_JEQ | BPF_K] = &&pfx##jeq_k, [cls | BPF_JEQ | BPF_X] = &&pfx##jeq_x,     \
	[cls | BPF_JNE | BPF_K] = &&pfx##jne_k, [cls | BPF_JNE | BPF_X] = &&pfx##jne_x,     \
	[cls | BPF_JGT | BPF_K] = &&pfx##jgt_k, [cls | BPF_JGT | BPF_X] = &&pfx##jgt_x,     \
	[cls | BPF_JGE | BPF_K] = &&pfx##jge_k, [cls | BPF_JGE | BPF_X] = &&pfx##jge_x,     \
	[cls | BPF_JLT | BPF_K] = &&pfx##jlt_k, [cls | BPF_JLT | BPF_X] = &&pfx##jlt_x,     \
	[cls | BPF_JLE | BPF_K] = &&pfx##jle_k, [cls | BPF_JLE | BPF_X] = &&pfx##jle_x,     \
	[cls | BPF_JSGT | BPF_K] = &&pfx##jsgt_k, [cls | BPF_JSGT | BPF_X] = &&pfx##jsgt_x, \
	[cls | BPF_JSGE | BPF_K] = &&pfx##jsge_k, [cls | BPF_JSGE | BPF_X] = &&pfx##jsge_x, \
	[cls | BPF_JSLT | BPF_K] = &&pfx##jslt_k, [cls | BPF_JSLT | BPF_X] = &&pfx##jslt_x, \
	[cls | BPF_JSLE | BPF_K] = &&pfx##jsle_k, [cls | BPF_JSLE | BPF_X] = &&pfx##jsle_x, \
	[cls | BPF_JSET | BPF_K] = &&pfx##jset_k, [cls | BPF_JSET | BPF_X] = &&pfx##jset_x
		JMP_ENTRIES(BPF_JMP, j64_),
		JMP_ENTRIES(BPF_JMP32, j32_),
		[BPF_JMP | BPF_JA] = &&ja,
		[BPF_JMP | BPF_CALL] = &&call,
		[BPF_JMP | BPF_EXIT] = &&exit,
		[BPF_LD | BPF_IMM | BPF_DW] = &&ld_imm64,
		[BPF_LDX | BPF_MEM | BPF_B] = &&ldx_b, [BPF_LDX | BPF_MEM | BPF_H] = &&ldx_h,
		[BPF_LDX | BPF_MEM | BPF_W] = &&ldx_w, [BPF_LDX | BPF_MEM | BPF_DW] = &&ldx_dw,
		[BPF_ST | BPF_MEM | BPF_B] = &&st_b, [BPF_ST | BPF_MEM | BPF_H] = &&st_h,
		[BPF_ST | BPF_MEM | BPF_W] = &&st_w, [BPF_ST | BPF_MEM | BPF_DW] = &&st_dw,
		[BPF_STX | BPF_MEM | BPF_B] = &&stx_b, [BPF_STX | BPF_MEM | BPF_H] = &&stx_h,
		[BPF_STX | BPF_MEM | BPF_W] = &&stx_w, [BPF_STX | BPF_MEM | BPF_DW] = &&stx_dw,
		[BPF_STX | BPF_ATOMIC | BPF_W] = &&atomic_w,
		[BPF_STX | BPF_ATOMIC | BPF_DW] = &&atomic_dw,
	};
#pragma GCC diagnostic pop
	uint64_t r[11] = { 0 };
	struct frame frames[VM_MAX_FRAMES];
	int base_depth = vm->depth, nframes = 0;
	if (base_depth >= VM_MAX_FRAMES) {
		snprintf(vm->err, sizeof vm->err, "program %s: more than %d nested calls", p->name,
			 VM_MAX_FRAMES);
		return -1;
	}
	memcpy(&r[1], args, 5 * sizeof *args);
	r[10] = region_addr(REGION_STACK, STACK_TOP - (uint32_t)base_depth * VM_STACK_FRAME);
	const struct dinsn *const insns = p->insns;
	const struct dinsn *ip = insns + pc;
	uint64_t left = vm->left;
	int rc = -1;

#define DISPATCH() do { if (__builtin_expect(--left == 0, 0)) goto budget; goto *tbl[ip->code]; } while (0)
#define NEXT() do { ip++; DISPATCH(); } while (0)
#define JUMP_IF(c) do { ip = (c) ? insns + ip->off : ip + 1; DISPATCH(); } while (0)
#define DST r[ip->dst]
#define SRC r[ip->src]
#define IMM ((uint64_t)ip->imm)
#define IMM32 ((uint32_t)ip->imm)

	DISPATCH();

#define ALU64(name, expr_k, expr_x) \
	a64_##name##_k: { uint64_t s = IMM; (void)s; expr_k; NEXT(); } \
	a64_##name##_x: { uint64_t s = SRC; (void)s; expr_x; NEXT(); }
#define ALU32(name, expr_k, expr_x) \
	a32_##name##_k: { uint32_t d = (uint32_t)DST, s = IMM32; (void)s; expr_k; DST = d; NEXT(); } \
	a32_##name##_x: { uint32_t d = (uint32_t)DST, s = (uint32_t)SRC; (void)s; expr_x; DST = d; NEXT(); }
#define BOTH(name, e64, e32) ALU64(name, e64, e64) ALU32(name, e32, e32)

	BOTH(add, DST += s, d += s)
	BOTH(sub, DST -= s, d -= s)
	BOTH(mul, DST *= s, d *= s)
	BOTH(div, DST = s ? DST / s : 0, d = s ? d / s : 0)
	BOTH(mod, DST = s ? DST % s : DST, d = s ? d % s : d)
	BOTH(or, DST |= s, d |= s)
	BOTH(and, DST &= s, d &= s)
	BOTH(xor, DST ^= s, d ^= s)
	BOTH(mov, DST = s, d = s)
	BOTH(lsh, DST <<= (s & 63), d <<= (s & 31))
	BOTH(rsh, DST >>= (s & 63), d >>= (s & 31))
	BOTH(arsh, DST = (uint64_t)((int64_t)DST >> (s & 63)),
	     d = (uint32_t)((int32_t)d >> (s & 31)))
a64_neg:
	DST = -DST;
	NEXT();
a32_neg:
	DST = (uint32_t)-(uint32_t)DST;
	NEXT();
to_le:
	DST = ip->imm == 16 ? (uint16_t)DST : ip->imm == 32 ? (uint32_t)DST : DST;
	NEXT();
to_be:
	DST = ip->imm == 16 ? __builtin_bswap16((uint16_t)DST)
	      : ip->imm == 32 ? __builtin_bswap32((uint32_t)DST) : __builtin_bswap64(DST);
	NEXT();

#define JMPS(pfx, T, ST)                                                            \
	pfx##jeq_k: JUMP_IF((T)DST == (T)IMM);                                       \
	pfx##jeq_x: JUMP_IF((T)DST == (T)SRC);                                       \
	pfx##jne_k: JUMP_IF((T)DST != (T)IMM);                                       \
	pfx##jne_x: JUMP_IF((T)DST != (T)SRC);                                       \
	pfx##jgt_k: JUMP_IF((T)DST > (T)IMM);                                        \
	pfx##jgt_x: JUMP_IF((T)DST > (T)SRC);                                        \
	pfx##jge_k: JUMP_IF((T)DST >= (T)IMM);                                       \
	pfx##jge_x: JUMP_IF((T)DST >= (T)SRC);                                       \
	pfx##jlt_k: JUMP_IF((T)DST < (T)IMM);                                        \
	pfx##jlt_x: JUMP_IF((T)DST < (T)SRC);                                        \
	pfx##jle_k: JUMP_IF((T)DST <= (T)IMM);                                       \
	pfx##jle_x: JUMP_IF((T)DST <= (T)SRC);                                       \
	pfx##jsgt_k: JUMP_IF((ST)DST > (ST)IMM);                                     \
	pfx##jsgt_x: JUMP_IF((ST)DST > (ST)SRC);                                     \
	pfx##jsge_k: JUMP_IF((ST)DST >= (ST)IMM);                                    \
	pfx##jsge_x: JUMP_IF((ST)DST >= (ST)SRC);                                    \
	pfx##jslt_k: JUMP_IF((ST)DST < (ST)IMM);                                     \
	pfx##jslt_x: JUMP_IF((ST)DST < (ST)SRC);                                     \
	pfx##jsle_k: JUMP_IF((ST)DST <= (ST)IMM);                                    \
	pfx##jsle_x: JUMP_IF((ST)DST <= (ST)SRC);                                    \
	pfx##jset_k: JUMP_IF(((T)DST & (T)IMM) != 0);                                \
	pfx##jset_x: JUMP_IF(((T)DST & (T)SRC) != 0);
	JMPS(j64_, uint64_t, int64_t)
	JMPS(j32_, uint32_t, int32_t)
ja:
	ip = insns + ip->off;
	DISPATCH();
ld_imm64:
	DST = IMM;
	ip += 2;
	DISPATCH();

#define LOAD(T)                                                                  \
	{                                                                        \
		uint64_t a = SRC + (uint64_t)(int64_t)ip->off;                   \
		const uint8_t *h = vm_mem(vm, a, sizeof(T), false);              \
		if (__builtin_expect(!h, 0)) {                                   \
			fault(vm, p, ip, a, sizeof(T), false);                   \
			goto out;                                                \
		}                                                                \
		T v;                                                             \
		memcpy(&v, h, sizeof v);                                         \
		DST = v;                                                         \
		NEXT();                                                          \
	}
#define STORE(T, val)                                                            \
	{                                                                        \
		uint64_t a = DST + (uint64_t)(int64_t)ip->off;                   \
		uint8_t *h = vm_mem(vm, a, sizeof(T), true);                     \
		if (__builtin_expect(!h, 0)) {                                   \
			fault(vm, p, ip, a, sizeof(T), true);                    \
			goto out;                                                \
		}                                                                \
		T v = (T)(val);                                                  \
		memcpy(h, &v, sizeof v);                                         \
		NEXT();                                                          \
	}
ldx_b: LOAD(uint8_t)
ldx_h: LOAD(uint16_t)
ldx_w: LOAD(uint32_t)
ldx_dw: LOAD(uint64_t)
st_b: STORE(uint8_t, IMM)
st_h: STORE(uint16_t, IMM)
st_w: STORE(uint32_t, IMM)
st_dw: STORE(uint64_t, IMM)
stx_b: STORE(uint8_t, SRC)
stx_h: STORE(uint16_t, SRC)
stx_w: STORE(uint32_t, SRC)
stx_dw: STORE(uint64_t, SRC)

#define ATOMIC(T)                                                                \
	{                                                                        \
		uint64_t a = DST + (uint64_t)(int64_t)ip->off;                   \
		uint8_t *h = vm_mem(vm, a, sizeof(T), true);                     \
		if (!h) {                                                        \
			fault(vm, p, ip, a, sizeof(T), true);                    \
			goto out;                                                \
		}                                                                \
		T old, v = (T)SRC;                                               \
		memcpy(&old, h, sizeof old);                                     \
		T nv = old;                                                      \
		switch (ip->imm & ~BPF_FETCH) {                                  \
		case BPF_ADD: nv = old + v; break;                               \
		case BPF_OR: nv = old | v; break;                                \
		case BPF_AND: nv = old & v; break;                               \
		case BPF_XOR: nv = old ^ v; break;                               \
		}                                                                \
		if (ip->imm == BPF_XCHG) {                                       \
			nv = v;                                                  \
		} else if (ip->imm == BPF_CMPXCHG) {                             \
			nv = old == (T)r[0] ? v : old;                           \
			r[0] = old;                                              \
		}                                                                \
		memcpy(h, &nv, sizeof nv);                                       \
		if ((ip->imm & BPF_FETCH) && ip->imm != BPF_CMPXCHG)             \
			SRC = old;                                               \
		NEXT();                                                          \
	}
atomic_w: ATOMIC(uint32_t)
atomic_dw: ATOMIC(uint64_t)

call:
	if (ip->src == BPF_PSEUDO_CALL) {
		if (base_depth + nframes + 1 >= VM_MAX_FRAMES) {
			snprintf(vm->err, sizeof vm->err,
				 "program %s: instruction %td: more than %d nested calls", p->name,
				 ip - insns, VM_MAX_FRAMES);
			goto out;
		}
		struct frame *f = &frames[nframes++];
		f->ret = ip + 1;
		memcpy(f->saved, &r[6], sizeof f->saved);
		r[10] -= VM_STACK_FRAME;
		ip = insns + ip->off;
		DISPATCH();
	}
	vm->left = left;
	vm->depth = base_depth + nframes + 1;
	if (vm_helper(vm, (int)(p - vm->progs), (int)ip->imm, r) < 0) {
		vm->depth = base_depth;
		char msg[sizeof vm->err];
		snprintf(msg, sizeof msg, "%s", vm->err);
		snprintf(vm->err, sizeof vm->err, "program %s: instruction %td: %.400s",
			 p->name, ip - insns, msg);
		goto out;
	}
	vm->depth = base_depth;
	left = vm->left;
	if (!left)
		goto budget;
	NEXT();
exit:
	if (nframes == 0) {
		*ret = r[0];
		rc = 0;
		goto out;
	}
	{
		struct frame *f = &frames[--nframes];
		memcpy(&r[6], f->saved, sizeof f->saved);
		ip = f->ret;
		DISPATCH();
	}
budget:
	snprintf(vm->err, sizeof vm->err,
		 "program %s: instruction %td: ran more than %llu instructions", p->name,
		 ip - insns, (unsigned long long)vm->budget);
	left = 0;
	goto out;
bad:
	snprintf(vm->err, sizeof vm->err, "program %s: instruction %td: cannot run opcode 0x%02x",
		 p->name, ip - insns, ip->code);
out:
	vm->left = left;
	return rc;
}

int vm_call(struct vm *vm, int p, uint32_t pc, const uint64_t args[5], uint64_t *ret)
{
	if (p < 0 || (uint32_t)p >= vm->nprogs || pc >= vm->progs[p].n) {
		snprintf(vm->err, sizeof vm->err, "call of a function that does not exist");
		return -1;
	}
	return exec(vm, &vm->progs[p], pc, args, ret);
}

int vm_run(struct vm *vm, int p, const void *ctx, uint32_t ctx_size, uint64_t *ret)
{
	if (p < 0 || (uint32_t)p >= vm->nprogs) {
		snprintf(vm->err, sizeof vm->err, "no such program");
		return -1;
	}
	/* the context is read-only; a copy, so the program cannot see past it */
	uint8_t ctxbuf[256] = { 0 };
	if (ctx_size > sizeof ctxbuf)
		ctx_size = sizeof ctxbuf;
	if (ctx)
		memcpy(ctxbuf, ctx, ctx_size);
	vm->regions[REGION_CTX] = (struct region){ .base = ctxbuf, .size = ctx_size };
	memset(vm->stack, 0, sizeof vm->stack);
	vm->err[0] = '\0';
	vm->left = vm->budget + 1;
	vm->depth = 0;
	vm->running = true;
	uint64_t args[5] = { region_addr(REGION_CTX, 0) };
	int rc = exec(vm, &vm->progs[p], 0, args, ret);
	vm->executed += vm->budget + 1 - vm->left;
	vm->running = false;
	vm->regions[REGION_CTX] = (struct region){ 0 };
	regions_reap(vm);
	return rc;
}
