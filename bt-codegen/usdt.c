/* usdt.c - USDT arguments (docs/bpftrace-compat.md "USDT"): argN of a usdt
 * probe is computed from the location's argument spec in its `.note.stapsdt`
 * note, which bt-check copies into the attach point (`usdt_args`,
 * e.g.  "-4@%edi 8@-8(%rbp) 4@$5 8@16(%rax,%rbx,8)").  Each entry is
 * [-]SIZE@OPERAND (negative size: signed); operands are a register, a
 * constant ($N) or memory disp(base[,index,scale]) in user memory.  Registers
 * are read from the uprobe's pt_regs (x86_64).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"

/* x86_64 register names (all widths) -> pt_regs offset; shift 8 for the
 * legacy high-byte registers. */
static const struct {
	const char *names[4];
	uint32_t off;
} gp_regs[] = {
	{ { "rax", "eax", "ax", "al" }, 80 },  { { "rbx", "ebx", "bx", "bl" }, 40 },
	{ { "rcx", "ecx", "cx", "cl" }, 88 },  { { "rdx", "edx", "dx", "dl" }, 96 },
	{ { "rsi", "esi", "si", "sil" }, 104 }, { { "rdi", "edi", "di", "dil" }, 112 },
	{ { "rbp", "ebp", "bp", "bpl" }, 32 }, { { "rsp", "esp", "sp", "spl" }, 152 },
	{ { "r8", "r8d", "r8w", "r8b" }, 72 }, { { "r9", "r9d", "r9w", "r9b" }, 64 },
	{ { "r10", "r10d", "r10w", "r10b" }, 56 }, { { "r11", "r11d", "r11w", "r11b" }, 48 },
	{ { "r12", "r12d", "r12w", "r12b" }, 24 }, { { "r13", "r13d", "r13w", "r13b" }, 16 },
	{ { "r14", "r14d", "r14w", "r14b" }, 8 }, { { "r15", "r15d", "r15w", "r15b" }, 0 },
	{ { "rip", "eip", NULL, NULL }, 128 },
};

static bool reg_lookup(const char *name, size_t len, uint32_t *off, int *shift)
{
	static const char *high[] = { "ah", "bh", "ch", "dh" };
	static const uint32_t high_off[] = { 80, 40, 88, 96 };
	for (int i = 0; i < 4; i++)
		if (len == 2 && !strncmp(name, high[i], 2)) {
			*off = high_off[i];
			*shift = 8;
			return true;
		}
	for (size_t i = 0; i < sizeof gp_regs / sizeof gp_regs[0]; i++)
		for (int w = 0; w < 4 && gp_regs[i].names[w]; w++)
			if (strlen(gp_regs[i].names[w]) == len && !strncmp(name, gp_regs[i].names[w], len)) {
				*off = gp_regs[i].off;
				*shift = 0;
				return true;
			}
	return false;
}

struct usdt_arg {
	int size;            /* bytes */
	bool is_signed;
	enum { UA_REG, UA_CONST, UA_MEM } kind;
	int64_t value;       /* constant / displacement */
	uint32_t base, index;
	int base_shift;
	bool has_base, has_index;
	int scale;
};

static const char *parse_reg(const char *p, uint32_t *off, int *shift, bool *ok)
{
	if (*p != '%') {
		*ok = false;
		return p;
	}
	p++;
	const char *s = p;
	while (isalnum((unsigned char)*p))
		p++;
	*ok = reg_lookup(s, (size_t)(p - s), off, shift);
	return p;
}

/* Entry n (0-based) of spec; false when absent or malformed. */
static bool parse_arg(const char *spec, int n, struct usdt_arg *a)
{
	const char *p = spec;
	for (int i = 0; ; i++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return false;
		const char *end = strchr(p, ' ');
		if (!end)
			end = p + strlen(p);
		if (i < n) {
			p = end;
			continue;
		}
		memset(a, 0, sizeof *a);
		char *q;
		long sz = strtol(p, &q, 10);
		if (*q != '@')
			return false;
		a->is_signed = sz < 0;
		a->size = (int)(sz < 0 ? -sz : sz);
		p = q + 1;
		bool ok = true;
		if (*p == '%') {
			a->kind = UA_REG;
			p = parse_reg(p, &a->base, &a->base_shift, &ok);
			return ok && p == end;
		}
		if (*p == '$') {
			a->kind = UA_CONST;
			a->value = strtoll(p + 1, &q, 0);
			return q == end;
		}
		a->kind = UA_MEM;
		if (*p != '(') {
			a->value = strtoll(p, &q, 0);
			if (q == p)
				return false; /* symbol(%rip): needs the binary's symbols */
			p = q;
		}
		if (*p != '(')
			return false;
		p++;
		if (*p == '%') {
			int sh;
			p = parse_reg(p, &a->base, &sh, &ok);
			a->has_base = ok;
		}
		if (*p == ',') {
			int sh;
			p = parse_reg(p + 1, &a->index, &sh, &ok);
			a->has_index = ok;
			a->scale = 1;
			if (*p == ',') {
				a->scale = (int)strtol(p + 1, &q, 10);
				p = q;
			}
		}
		return ok && *p == ')' && p + 1 == end;
	}
}

static LLVMValueRef extend(struct cg *cg, LLVMValueRef v, int size, bool is_signed)
{
	if (size >= 8)
		return v;
	LLVMTypeRef t = LLVMIntTypeInContext(cg->ctx, (unsigned)size * 8);
	LLVMValueRef x = LLVMBuildTrunc(cg->b, v, t, "");
	return is_signed ? LLVMBuildSExt(cg->b, x, cg->t_i64, "") : LLVMBuildZExt(cg->b, x, cg->t_i64, "");
}

static LLVMValueRef lower_arg(struct cg *cg, const struct usdt_arg *a)
{
	switch (a->kind) {
	case UA_CONST:
		return extend(cg, cg_const(cg, (uint64_t)a->value), a->size, a->is_signed);
	case UA_REG: {
		LLVMValueRef v = cg_reg(cg, a->base);
		if (a->base_shift)
			v = LLVMBuildLShr(cg->b, v, cg_const(cg, (uint64_t)a->base_shift), "");
		return extend(cg, v, a->size, a->is_signed);
	}
	default: {
		LLVMValueRef addr = cg_const(cg, (uint64_t)a->value);
		if (a->has_base)
			addr = LLVMBuildAdd(cg->b, addr, cg_reg(cg, a->base), "");
		if (a->has_index)
			addr = LLVMBuildAdd(cg->b, addr,
					    LLVMBuildMul(cg->b, cg_reg(cg, a->index),
							 cg_const(cg, (uint64_t)a->scale), ""), "");
		LLVMValueRef tmp = cg_alloc(cg, 8);
		cg_store_int(cg, tmp, cg_const(cg, 0), 8);
		uint32_t size = a->size > 0 && a->size <= 8 ? (uint32_t)a->size : 8;
		cg_probe_read(cg, tmp, cg_const32(cg, size), addr, AS_USER);
		return cg_load_n(cg, tmp, size, a->is_signed);
	}
	}
}

LLVMValueRef cg_usdt_arg(struct cg *cg, int n)
{
	struct meta_probe *mp = cg->fn->probe;
	const char *spec = mp->nattach ? mp->attach[0].ap->usdt_args : NULL;
	struct usdt_arg a;
	if (!spec || !parse_arg(spec, n, &a)) {
		cg_fail(cg, "couldn't get argument %d for %s", n, mp->name);
		return cg_const(cg, 0);
	}
	/* one program serves several locations only if they agree */
	for (uint32_t i = 1; i < mp->nattach; i++) {
		struct usdt_arg b;
		const char *s2 = mp->attach[i].ap->usdt_args;
		if (!s2 || !parse_arg(s2, n, &b) || memcmp(&a, &b, sizeof a) != 0) {
			cg_fail(cg, "usdt argument %d differs between the locations of %s "
				"(one program per location is needed)", n, mp->name);
			return cg_const(cg, 0);
		}
	}
	return lower_arg(cg, &a);
}
