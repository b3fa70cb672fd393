/* decode.c - raw BPF instructions into the interpreter's checked form.
 *
 * Everything the execution loop would otherwise test per instruction is
 * settled here, once: the opcode is one we run (the instruction set of
 * cpu v3 that LLVM 16 emits: ALU/ALU32, JMP/JMP32, loads and stores of
 * every size, atomics, ld_imm64, calls, exit; no legacy packet loads, no
 * cpu v4 sign-extending forms), registers are r0..r10 and r10 is never
 * written, jump and call targets are inside the program and never the
 * second half of a ld_imm64 (they become absolute indexes), ld_imm64
 * pseudo references are resolved through the relocations into region
 * addresses, helpers are known and emulated, and the program cannot run
 * off its end.  What is refused gets one line in vm->err.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static void fail(struct vm *vm, const char *name, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct vm *vm, const char *name, size_t i, const char *fmt, ...)
{
	int k = snprintf(vm->err, sizeof vm->err, "program %s: instruction %zu: ", name, i);
	va_list ap;
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < sizeof vm->err)
		vsnprintf(vm->err + k, sizeof vm->err - (size_t)k, fmt, ap);
	va_end(ap);
}

static bool alu_ok(uint8_t code, const struct bpf_insn *in)
{
	uint8_t op = BPF_OP(code);
	if (in->off != 0)
		return false;   /* cpu v4: sdiv, smod, movsx */
	if (op == BPF_NEG)
		return BPF_SRC(code) == BPF_K;
	if (op == BPF_END)
		return BPF_CLASS(code) == BPF_ALU &&
		       (in->imm == 16 || in->imm == 32 || in->imm == 64);
	return op <= BPF_END && op != 0xe0;
}

static bool jmp_ok(uint8_t code)
{
	uint8_t op = BPF_OP(code);
	bool j32 = BPF_CLASS(code) == BPF_JMP32;
	switch (op) {
	case BPF_JA: case BPF_CALL: case BPF_EXIT:
		return !j32 && BPF_SRC(code) == BPF_K;
	case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET: case BPF_JNE:
	case BPF_JSGT: case BPF_JSGE: case BPF_JLT: case BPF_JLE: case BPF_JSLT:
	case BPF_JSLE:
		return true;
	default:
		return false;
	}
}

static bool atomic_ok(int32_t imm)
{
	switch (imm) {
	case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
	case BPF_ADD | BPF_FETCH: case BPF_OR | BPF_FETCH: case BPF_AND | BPF_FETCH:
	case BPF_XOR | BPF_FETCH: case BPF_XCHG: case BPF_CMPXCHG:
		return true;
	default:
		return false;
	}
}

/* Does the instruction write dst? (r10 may not be written) */
static bool writes_dst(uint8_t code)
{
	switch (BPF_CLASS(code)) {
	case BPF_ALU: case BPF_ALU64: case BPF_LDX: case BPF_LD:
		return true;
	default:
		return false;
	}
}

static const struct vm_reloc *reloc_at(const struct vm_reloc *r, size_t nr, size_t i)
{
	for (size_t k = 0; k < nr; k++)
		if (r[k].insn == i)
			return &r[k];
	return NULL;
}

static bool ld_imm64(struct vm *vm, const char *name, const struct bpf_insn *in, size_t i,
		     const struct vm_reloc *rel, size_t n, struct dinsn *d)
{
	d->imm = (int64_t)((uint64_t)(uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32);
	if (!rel) {
		if (in->src_reg != 0) {
			fail(vm, name, i, "a pseudo ld_imm64 (src %u) without relocation",
			     in->src_reg);
			return false;
		}
		return true;
	}
	switch (rel->kind) {
	case VM_RELOC_MAP:
	case VM_RELOC_MAP_VALUE: {
		struct vm_map *m = vm_map_at(vm, rel->map);
		if (!m) {
			fail(vm, name, i, "reference to a map that does not exist");
			return false;
		}
		if (rel->kind == VM_RELOC_MAP) {
			d->imm = (int64_t)region_addr(vm_map_region(m), 0);
			return true;
		}
		uint32_t zero = 0;
		uint64_t a = vm_map_key_size(m) == 4 ? vm_map_lookup_addr(vm, m, &zero) : 0;
		if (!a || rel->target > vm_map_value_size(m)) {
			fail(vm, name, i, "reference into map %s at %u: no such value",
			     vm_map_name(m), rel->target);
			return false;
		}
		d->imm = (int64_t)(a + rel->target);
		return true;
	}
	case VM_RELOC_FUNC:
		if (rel->target >= n) {
			fail(vm, name, i, "function reference outside the program");
			return false;
		}
		d->imm = (int64_t)region_addr(VM_CODE_REGION, rel->target);
		return true;
	default:
		fail(vm, name, i, "a call relocation on ld_imm64");
		return false;
	}
}

struct dinsn *vm_decode(struct vm *vm, const char *name, const struct bpf_insn *in, size_t n,
			const struct vm_reloc *r, size_t nr)
{
	if (n == 0 || n > (1u << 24)) {
		snprintf(vm->err, sizeof vm->err, "program %s: %zu instructions", name, n);
		return NULL;
	}
	struct dinsn *d = calloc(n, sizeof *d);
	bool *second = calloc(n, 1);   /* second halves of ld_imm64 */
	if (!d || !second)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *x = &in[i];
		uint8_t code = x->code;
		d[i] = (struct dinsn){ .code = code, .dst = x->dst_reg, .src = x->src_reg,
				       .off = x->off, .imm = x->imm };
		if (second[i]) {
			d[i].code = 0;   /* never run: no jump may land here */
			continue;
		}
		if (x->dst_reg > 10 || x->src_reg > 10) {
			fail(vm, name, i, "register out of range");
			goto bad;
		}
		if (writes_dst(code) && x->dst_reg == 10) {
			fail(vm, name, i, "writes the frame pointer r10");
			goto bad;
		}
		const struct vm_reloc *rel = reloc_at(r, nr, i);
		switch (BPF_CLASS(code)) {
		case BPF_ALU: case BPF_ALU64:
			if (!alu_ok(code, x)) {
				fail(vm, name, i, "unsupported ALU instruction 0x%02x", code);
				goto bad;
			}
			break;
		case BPF_LD:
			if (code != (BPF_LD | BPF_IMM | BPF_DW) || i + 1 >= n || in[i + 1].code) {
				fail(vm, name, i, "unsupported load 0x%02x", code);
				goto bad;
			}
			second[i + 1] = true;
			if (!ld_imm64(vm, name, x, i, rel, n, &d[i]))
				goto bad;
			break;
		case BPF_LDX: case BPF_ST:
			if (BPF_MODE(code) != BPF_MEM) {
				fail(vm, name, i, "unsupported memory access 0x%02x", code);
				goto bad;
			}
			break;
		case BPF_STX:
			if (BPF_MODE(code) == BPF_ATOMIC) {
				if ((BPF_SIZE(code) != BPF_W && BPF_SIZE(code) != BPF_DW) ||
				    !atomic_ok(x->imm)) {
					fail(vm, name, i, "unsupported atomic operation 0x%x",
					     (unsigned)x->imm);
					goto bad;
				}
				if ((x->imm & BPF_FETCH) && x->src_reg == 10) {
					fail(vm, name, i, "writes the frame pointer r10");
					goto bad;
				}
			} else if (BPF_MODE(code) != BPF_MEM) {
				fail(vm, name, i, "unsupported store 0x%02x", code);
				goto bad;
			}
			break;
		case BPF_JMP: case BPF_JMP32:
			if (!jmp_ok(code)) {
				fail(vm, name, i, "unsupported jump 0x%02x", code);
				goto bad;
			}
			if (BPF_OP(code) == BPF_EXIT)
				break;
			if (BPF_OP(code) == BPF_CALL) {
				if (x->src_reg == BPF_PSEUDO_CALL) {
					int64_t t = rel && rel->kind == VM_RELOC_CALL
							    ? (int64_t)rel->target
							    : (int64_t)i + x->imm + 1;
					if (t < 0 || t >= (int64_t)n) {
						fail(vm, name, i, "call outside the program");
						goto bad;
					}
					d[i].off = (int32_t)t;
				} else if (x->src_reg != 0) {
					fail(vm, name, i, "unsupported call kind %u", x->src_reg);
					goto bad;
				} else {
					const char *why = vm_helper_refusal(x->imm);
					if (why) {
						fail(vm, name, i, "%s", why);
						goto bad;
					}
				}
				break;
			}
			int64_t t = (int64_t)i + x->off + 1;
			if (t < 0 || t >= (int64_t)n) {
				fail(vm, name, i, "jump outside the program");
				goto bad;
			}
			d[i].off = (int32_t)t;
			break;
		default:
			fail(vm, name, i, "unsupported instruction 0x%02x", code);
			goto bad;
		}
	}
	/* jumps into the middle of a ld_imm64 */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i].code;
		bool jump = (BPF_CLASS(c) == BPF_JMP || BPF_CLASS(c) == BPF_JMP32) &&
			    BPF_OP(c) != BPF_EXIT && !second[i] &&
			    (BPF_OP(c) != BPF_CALL || d[i].src == BPF_PSEUDO_CALL);
		if (jump && second[d[i].off]) {
			fail(vm, name, i, "jump into the middle of a 64-bit load");
			goto bad;
		}
	}
	uint8_t last = d[n - 1].code;
	if (second[n - 1] || (last != (BPF_JMP | BPF_EXIT) && last != (BPF_JMP | BPF_JA))) {
		fail(vm, name, n - 1, "the program can run past its last instruction");
		goto bad;
	}
	free(second);
	return d;
bad:
	if (!vm->err[0])
		snprintf(vm->err, sizeof vm->err, "out of memory");
	free(d);
	free(second);
	return NULL;
}
