/* shapes.c - compile each distinct block shape once (shared mode).
 *
 * Programs of many probe blocks are mostly blocks of a few shapes that
 * differ only in the maps they name, integer constants and where they
 * attach.  LLVM costs about a millisecond per function, so from
 * cg_opts.share_from blocks on, every per-instance difference is lowered
 * as a parameter instead of a value:
 *
 *   - a map is `ptr @__bt_pK`, an external symbol standing for the map;
 *   - an integer literal or a per-block id (printf format, probe name,
 *     map id in a record) other than 0 is `ptrtoint (ptr @__bt_pK)`:
 *     LLVM cannot fold it, the BPF backend loads it with one ld_imm64
 *     relocated against the symbol.
 *
 * K counts the parameters of each function from 0, so two blocks of one
 * shape lower to the same IR text.  After lowering a function we print
 * it (without its name, section and debug info): when the text is that of
 * an earlier function, the function is deleted and the block becomes an
 * instance of the earlier shape; otherwise it is a new shape, kept and
 * given its debug info.  Only the kept functions reach LLVM's optimiser
 * and backend.  link.c then writes the object: each instance a copy of its
 * shape's code with its own maps relocated and its constants written into
 * the ld_imm64 instructions (ir-spec/obj.md).
 *
 * The comparison is on the whole IR text, so a difference this file does
 * not turn into a parameter (a constant used to size a buffer, a helper
 * error id) only makes two blocks different shapes: it never merges
 * blocks whose code differs.  The value 0 stays a literal (LLVM may
 * reason about zero divisors and null pointers it could not prove).
 * A body that refers to metadata (`!N`: loop hints, CO-RE access types)
 * is never shared: the text shows slot numbers, which depend on the
 * module printed, not the metadata's content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"

static LLVMValueRef param_symbol(struct cg *cg, uint32_t k)
{
	while (cg->param_syms.n <= k) {
		if (!cg->t_param)
			cg->t_param = LLVMStructCreateNamed(cg->ctx, "bt_param");
		char name[32];
		snprintf(name, sizeof name, CG_PARAM_PREFIX "%zu", cg->param_syms.n);
		LLVMValueRef g = LLVMAddGlobal(cg->mod, cg->t_param, name);
		LLVMSetLinkage(g, LLVMExternalWeakLinkage);
		VEC_PUSH(&cg->param_syms, g);
	}
	return cg->param_syms.v[k];
}

static uint32_t add_param(struct cg *cg, struct cg_map *map, uint64_t value)
{
	struct cg_fn *fn = cg->fn;
	struct cg_param p = { .map = map, .value = value };
	MVEC_PUSH(&fn->params, p);
	return (uint32_t)(fn->params.n - 1);
}

LLVMValueRef cg_iconst(struct cg *cg, uint64_t v)
{
	if (!cg->share || !cg->fn || v == 0)
		return cg_const(cg, v);
	uint32_t k = add_param(cg, NULL, v);
	return LLVMConstPtrToInt(param_symbol(cg, k), cg->t_i64);
}

LLVMValueRef cg_map_ref(struct cg *cg, struct cg_map *m)
{
	if (!cg->share)
		return m->g;
	if (!cg->fn) {
		cg_fail(cg, "internal error: map %s used outside a program", m->name);
		return LLVMConstNull(cg->t_ptr);
	}
	for (size_t i = 0; i < cg->fn->params.n; i++)
		if (cg->fn->params.v[i].map == m)
			return param_symbol(cg, (uint32_t)i);
	return param_symbol(cg, add_param(cg, m, 0));
}

/* Does the IR text refer to metadata (`!5`, `!llvm.loop`, `!{`)?  (The
 * printer's comments end in '!' without any of them: "No predecessors!") */
static bool refers_to_metadata(const char *s)
{
	for (; (s = strchr(s, '!')); s++)
		if (s[1] && (s[1] == '{' || s[1] == '"' || s[1] == '.' || s[1] == '_' ||
			     (s[1] >= '0' && s[1] <= '9') || (s[1] >= 'a' && s[1] <= 'z') ||
			     (s[1] >= 'A' && s[1] <= 'Z')))
			return true;
	return false;
}

/* The function's IR text (malloc'ed) without what differs between
 * instances of one shape: the name, the section and the debug info
 * attachment of the `define` line (the body has no debug locations), plus
 * the kinds of the parameters.  NULL when the block cannot be shared. */
static char *shape_key(LLVMValueRef f, const struct cg_param *params, uint32_t nparams)
{
	char *text = LLVMPrintValueToString(f);
	size_t len = strlen(text);
	char *key = malloc(len + nparams + 2);
	if (!key)
		arena_out_of_memory(len + nparams + 2);
	char *o = key;
	const char *p = text;
	const char *def = strstr(text, "define ");
	const char *body = def ? strchr(def, '{') : NULL;
	if (!def || !body || refers_to_metadata(body)) {
		free(key);
		LLVMDisposeMessage(text);
		return NULL;
	}
	/* copy the define line, skipping @name, section "..." and !dbg !N */
	for (; p < body; p++) {
		if (*p == '@' && p > def) {
			while (p < body && *p != '(')
				p++;
		} else if (!strncmp(p, " section \"", 10)) {
			p += 10;
			while (p < body && *p != '"')
				p++;
			continue;
		} else if (!strncmp(p, " !dbg !", 7)) {
			p += 7;
			while (p < body && *p >= '0' && *p <= '9')
				p++;
		}
		*o++ = *p;
	}
	size_t rest = strlen(body);
	memcpy(o, body, rest);
	o += rest;
	for (uint32_t i = 0; i < nparams; i++)
		*o++ = params[i].map ? 'M' : 'C';
	*o = 0;
	LLVMDisposeMessage(text);
	return key;
}

/* ---- the first look: a hash of the block's tree ---- */

/* Printing a function costs time that grows with the module (LLVM's
 * printer numbers the metadata of every function), so a block is printed
 * only when an earlier block had the same outline: the tree of the block
 * without what shapes.c turns into parameters (literals other than 0, map
 * names and ids, per-call ids), types by kind and size.  A block whose outline is new
 * is a new shape without being printed; a block sharing an outline is
 * printed and compared, and so then is the first block of that outline.
 * Outlines only decide what to print: blocks are merged on their IR text. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
	return h;
}

static uint64_t outline(uint64_t h, const struct node *n)
{
	if (!n)
		return mix(h, 0x5a);
	h = mix(h, (uint64_t)n->kind << 32 | (uint32_t)n->op);
	h = mix(h, n->flags);
	unsigned slots = node_slots[n->kind];
	int64_t num = slots & S_NUM ? n->num : 0;
	h = mix(h, n->kind == N_INT ? num != 0 : (uint64_t)num);
	if (n->kind != N_MAP)
		h = mix(h, (uint64_t)(uint32_t)n->id);
	if (n->type)
		h = mix(h, (uint64_t)n->type->kind << 32 | n->type->size);
	if ((slots & S_TYARG) && n->ty_arg)
		h = mix(h, (uint64_t)n->ty_arg->kind << 32 | n->ty_arg->size);
	if ((slots & S_STR) && n->str && n->kind != N_MAP && n->kind != N_INT) {
		h = mix(h, n->len);
		for (uint32_t i = 0; i < n->len; i++)
			h = mix(h, (uint8_t)n->str[i]);
	}
	h = outline(outline(outline(h, node_kid(n, 0)), node_kid(n, 1)), node_kid(n, 2));
	const nodevec *lists[3] = { node_list(n, 0), node_list(n, 1), node_list(n, 2) };
	for (int l = 0; l < 3; l++) {
		h = mix(h, lists[l]->n);
		for (size_t i = 0; i < lists[l]->n; i++)
			h = outline(h, lists[l]->v[i]);
	}
	return h;
}

struct first_of_outline {
	uint32_t inst;      /* the first block of the outline */
	bool printed;       /* its text is in shape_index */
};

static void index_key(struct cg *cg, char *key, uint32_t shape)
{
	if (key)
		strindex_put(&cg->shape_index, key, (void *)(uintptr_t)(shape + 1));
}

bool cg_shape_add(struct cg *cg, const char *name, const char *section)
{
	struct cg_fn *fn = cg->fn;
	struct cg_inst inst = {
		.name = name,
		.section = section,
		.line = (uint32_t)fn->line,
		.params = arena_memdup(fn->params.v, fn->params.n * sizeof *fn->params.v),
		.nparams = (uint32_t)fn->params.n,
	};
	/* a probe's predicate and statements (not its attach points, its
	 * number); the setup program of a watchpoint has no node */
	uint64_t h = mix(0xcbf29ce484222325ULL, fn->probe ? fn->probe->type : 0);
	if (fn->node) {
		h = outline(h, fn->node->c);
		h = mix(h, fn->node->body.n);
		for (size_t i = 0; i < fn->node->body.n; i++)
			h = outline(h, fn->node->body.v[i]);
	}
	char name_of_outline[20];
	snprintf(name_of_outline, sizeof name_of_outline, "%016llx", (unsigned long long)h);
	struct first_of_outline *first = strindex_get(&cg->outlines, name_of_outline);
	char *key = NULL;
	if (!first) {
		first = ARENA_NEW(struct first_of_outline);
		first->inst = (uint32_t)cg->insts.n;
		strindex_put(&cg->outlines, arena_strdup(name_of_outline), first);
	} else {
		if (!first->printed) {
			struct cg_inst *fi = &cg->insts.v[first->inst];
			LLVMValueRef f = LLVMGetNamedFunction(cg->mod, cg->shapes.v[fi->shape].fn_name);
			if (f)
				index_key(cg, shape_key(f, fi->params, fi->nparams), fi->shape);
			first->printed = true;
		}
		key = shape_key(fn->fn, fn->params.v, (uint32_t)fn->params.n);
	}
	uintptr_t found = key ? (uintptr_t)strindex_get(&cg->shape_index, key) : 0;
	bool kept = !found;
	if (found) {
		inst.shape = (uint32_t)(found - 1);
		LLVMDeleteFunction(fn->fn);
		fn->fn = NULL;
		free(key);
	} else {
		struct cg_shape s = { .fn_name = inst.name };
		VEC_PUSH(&cg->shapes, s);
		inst.shape = (uint32_t)(cg->shapes.n - 1);
		index_key(cg, key, inst.shape);
	}
	MVEC_PUSH(&cg->insts, inst);
	return kept;
}
