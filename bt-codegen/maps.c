/* maps.c - BTF-defined maps and the user-map operations.
 *
 * A map is a zero-initialised global in section .maps (named so after
 * emission: maps_section.c) whose debug-info type is a struct of `int (*)[N]`
 * members (type, max_entries, key_size, value_size): the shape libbpf reads
 * from BTF (docs/llvm-bpf.md).  User maps are named AT_<name>
 * (ir-spec/obj.md): aggregations are per-CPU hashes with 8-byte values
 * (min/max: 16, agg.c; hist/lhist/avg/stats keys carry a u64 bucket suffix),
 * everything else a hash of value.sz bytes.  Keys are the key components
 * packed back to back (keyless maps: a u64 0).
 * In shared mode (shapes.c) the maps are not in the LLVM module: code
 * names them through parameters and link.c writes `.maps` and the same
 * BTF.
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

struct cg_map *cg_map_new(struct cg *cg, const char *name, uint32_t type, uint32_t key_size,
			  uint32_t value_size, uint32_t max_entries)
{
	struct cg_map *m = ARENA_NEW(struct cg_map);
	m->name = arena_strdup(name);
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->max_entries = max_entries;
	m->index = (uint32_t)cg->all_maps.n;
	VEC_PUSH(&cg->all_maps, m);
	if (cg->share)
		return m;   /* link.c writes the maps */
	unsigned n = type == BPF_MAP_TYPE_RINGBUF ? 2 : 4;
	LLVMTypeRef fields[4] = { cg->t_ptr, cg->t_ptr, cg->t_ptr, cg->t_ptr };
	LLVMTypeRef st = LLVMStructTypeInContext(cg->ctx, fields, n, 0);
	m->g = LLVMAddGlobal(cg->mod, st, name);
	LLVMSetInitializer(m->g, LLVMConstNull(st));
	LLVMSetSection(m->g, MAPS_PLACEHOLDER);
	LLVMSetAlignment(m->g, 8);
	LLVMSetLinkage(m->g, LLVMExternalLinkage);
	return m;
}

static LLVMMetadataRef member(struct cg *cg, const char *name, unsigned idx, uint64_t n)
{
	return LLVMDIBuilderCreateMemberType(cg->di, cg->di_file, name, strlen(name), cg->di_file,
					     0, 64, 64, idx * 64, LLVMDIFlagZero,
					     cg_di_int_array_ptr(cg, n));
}

static void map_debug_info(struct cg *cg, struct cg_map *m)
{
	LLVMMetadataRef mem[4];
	unsigned n = 0;
	mem[n] = member(cg, "type", n, m->type), n++;
	mem[n] = member(cg, "max_entries", n, m->max_entries), n++;
	if (m->type != BPF_MAP_TYPE_RINGBUF) {
		mem[n] = member(cg, "key_size", n, m->key_size), n++;
		mem[n] = member(cg, "value_size", n, m->value_size), n++;
	}
	LLVMMetadataRef st = LLVMDIBuilderCreateStructType(cg->di, cg->di_file, NULL, 0, cg->di_file,
							   0, n * 64, 64, LLVMDIFlagZero, NULL,
							   mem, n, 0, NULL, NULL, 0);
	LLVMMetadataRef expr = LLVMDIBuilderCreateExpression(cg->di, NULL, 0);
	LLVMMetadataRef gve = LLVMDIBuilderCreateGlobalVariableExpression(
		cg->di, cg->di_cu, m->name, strlen(m->name), m->name, strlen(m->name), cg->di_file,
		0, st, 0, expr, NULL, 64);
	LLVMGlobalSetMetadata(m->g, cg->dbg_kind, gve);
	m->declared = true;
}

static bool has_bucket(const struct type *t)
{
	return t && (t->kind == TY_HIST || t->kind == TY_LHIST || t->kind == TY_AVG ||
		     t->kind == TY_STATS);
}

static bool is_minmax(const struct type *t)
{
	return t && (t->kind == TY_MIN || t->kind == TY_MAX);
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 4096;
	while (p < n && p < (1ULL << 40))
		p <<= 1;
	return p;
}

/* A keyless count() map is a per-CPU array of one slot, as bpftrace makes
 * it: it always holds its one entry (0 until counted), and delete() and
 * clear() zero it instead of removing it. */
static bool cg_map_is_array(const struct meta_map *mm)
{
	return mm->nkeys == 0 && mm->value && mm->value->kind == TY_COUNT;
}

void cg_maps_declare(struct cg *cg)
{
	struct meta *m = cg->meta;
	cg->user_maps = ARENA_ARRAY(struct cg_map *, m->maps.n + 1);
	/* a BPF object's maps are the VARs of one BTF DATASEC (16-bit count);
	 * in shared mode link.c splits the program into several objects */
	if (m->maps.n > CG_MAX_USER_MAPS && !cg->share) {
		cg_fail(cg, "too many maps: %zu (a BPF object holds at most %u, bt-codegen's own "
			"included)", m->maps.n, CG_MAX_USER_MAPS);
		return;
	}
	uint32_t max = (uint32_t)(m->cfg.max_map_keys ? m->cfg.max_map_keys : 4096);
	for (size_t i = 0; i < m->maps.n; i++) {
		struct meta_map *mm = &m->maps.v[i];
		const char *name = arena_printf("AT_%s", mm->name[0] == '@' ? mm->name + 1 : mm->name);
		uint32_t ks = mm->key_size ? mm->key_size : 8;
		if (cg_map_is_array(mm))
			cg->user_maps[i] = cg_map_new(cg, name, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
		else if (type_is_aggregation(mm->value))
			cg->user_maps[i] = cg_map_new(cg, name, BPF_MAP_TYPE_PERCPU_HASH,
						      ks + (has_bucket(mm->value) ? 8 : 0),
						      is_minmax(mm->value) ? 16 : 8, max);
		else
			cg->user_maps[i] = cg_map_new(cg, name, BPF_MAP_TYPE_HASH, ks,
						      mm->value && mm->value->size ? mm->value->size : 8,
						      max);
	}
	uint64_t pages = m->cfg.perf_rb_pages ? m->cfg.perf_rb_pages : 64;
	cg->ringbuf = cg_map_new(cg, "ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 0,
				 (uint32_t)pow2_at_least(pages * 4096));
	/* [0] events lost, [1] non-zero once a probe has called exit() */
	cg->ringbuf_loss = cg_map_new(cg, "ringbuf_loss", BPF_MAP_TYPE_ARRAY, 4, 8, 2);
}

void cg_maps_finish(struct cg *cg)
{
	if (cg->scratch)
		cg->scratch->value_size = cg->scratch_value_size ? cg->scratch_value_size : 8;
	for (size_t i = 0; i < cg->all_maps.n && !cg->share; i++)
		if (!cg->all_maps.v[i]->declared)
			map_debug_info(cg, cg->all_maps.v[i]);
}

/* STACK_TRACE map for stacks of `limit` frames (bpftrace sizes them for
 * 131072 stacks). */
struct cg_map *cg_stack_map(struct cg *cg, uint16_t limit)
{
	const char *name = arena_printf("stack_%u", limit);
	for (size_t i = 0; i < cg->stack_maps.n; i++)
		if (strcmp(cg->stack_maps.v[i]->name, name) == 0)
			return cg->stack_maps.v[i];
	struct cg_map *m = cg_map_new(cg, name, BPF_MAP_TYPE_STACK_TRACE, 4, 8u * limit, 131072);
	VEC_PUSH(&cg->stack_maps, m);
	return m;
}

/* ---- helpers on maps ---- */

LLVMValueRef cg_map_lookup(struct cg *cg, struct cg_map *m, LLVMValueRef key)
{
	LLVMValueRef args[2] = { cg_map_ref(cg, m), key };
	return cg_helper(cg, BPF_FUNC_map_lookup_elem, cg->t_ptr, args, 2);
}

/* The integer at p (a map value; u64 when vt is NULL), or 0 when p is NULL. */
static LLVMValueRef load_or_zero(struct cg *cg, LLVMValueRef p, struct type *vt)
{
	LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef found = cg_block(cg, "map_found"), done = cg_block(cg, "map_done");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), done, found);
	LLVMPositionBuilderAtEnd(cg->b, found);
	LLVMValueRef v = vt ? cg_load_int(cg, p, vt) : LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_i64, "");
	LLVMValueRef vals[2] = { cg_const(cg, 0), v };
	LLVMBasicBlockRef bbs[2] = { from, found };
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

LLVMValueRef cg_map_read_u64(struct cg *cg, struct cg_map *m, LLVMValueRef key)
{
	return load_or_zero(cg, cg_map_lookup(cg, m, key), NULL);
}

LLVMValueRef cg_map_update(struct cg *cg, struct cg_map *m, LLVMValueRef key, LLVMValueRef val,
			   uint64_t flags)
{
	LLVMValueRef args[4] = { cg_map_ref(cg, m), key, val, cg_const(cg, flags) };
	return cg_helper_checked(cg, BPF_FUNC_map_update_elem, "map_update_elem", 1, args, 4);
}

LLVMValueRef cg_map_delete(struct cg *cg, struct cg_map *m, LLVMValueRef key)
{
	LLVMValueRef args[2] = { cg_map_ref(cg, m), key };
	return cg_helper_checked(cg, BPF_FUNC_map_delete_elem, "map_delete_elem", 1, args, 2);
}

void cg_add_u64(struct cg *cg, LLVMValueRef p, LLVMValueRef v, bool atomic)
{
	if (atomic) {
		LLVMBuildAtomicRMW(cg->b, LLVMAtomicRMWBinOpAdd, p, v,
				   LLVMAtomicOrderingMonotonic, 0);
		return;
	}
	LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
	LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, old, v, ""), p);
}

/* ---- user maps ---- */

struct meta_map *cg_meta_map(struct cg *cg, struct node *map)
{
	if (map->kind != N_MAP || map->id < 0 || (size_t)map->id >= cg->meta->maps.n) {
		cg_fail(cg, "map %s has no metadata", map->str ? map->str : "?");
		return &cg->meta->maps.v[0];
	}
	return &cg->meta->maps.v[map->id];
}

static struct cg_map *user_map(struct cg *cg, struct node *map)
{
	if (map->kind != N_MAP || map->id < 0 || (size_t)map->id >= cg->meta->maps.n)
		return cg->ringbuf_loss; /* cg_meta_map reports the error */
	return cg->user_maps[map->id];
}

LLVMValueRef cg_map_key(struct cg *cg, struct node *map, bool with_bucket)
{
	if (!cg->meta->maps.n) {
		cg_fail(cg, "map %s has no metadata", map->str ? map->str : "?");
		return cg_alloc(cg, 8);
	}
	struct meta_map *mm = cg_meta_map(cg, map);
	uint32_t ks = mm->key_size ? mm->key_size : 8;
	LLVMValueRef p = cg_alloc(cg, ks + (with_bucket ? 8 : 0));
	if (!mm->nkeys || !map->args.n) {
		cg_store_int(cg, p, cg_const(cg, 0), 8);
		return p;
	}
	if (map->args.n != mm->nkeys) {
		cg_fail(cg, "map %s used with %u keys, its metadata has %u", mm->name,
			map->args.n, mm->nkeys);
		return p;
	}
	uint32_t off = 0;
	for (uint32_t i = 0; i < mm->nkeys; i++) {
		struct type *kt = mm->keys[i];
		struct node *k = map->args.v[i];
		if (!type_is_aggregate(kt) && kt->size <= 8) {
			/* keys are packed: ints may sit at odd offsets */
			uint32_t al = kt->size ? kt->size : 8;
			while (al > 1 && off % al)
				al /= 2;
			cg_store_int_al(cg, cg_gep(cg, p, off), cg_int(cg, k), kt->size ? kt->size : 8, al);
		} else {
			cg_expr_into(cg, k, cg_gep(cg, p, off), kt);
		}
		off += kt->size;
	}
	if (off < ks)
		cg_memset0(cg, cg_gep(cg, p, off), ks - off);
	return p;
}

static bool scalar_value(const struct type *t)
{
	return t && !type_is_aggregate(t) && t->kind != TY_NONE;
}

struct val cg_map_read(struct cg *cg, struct node *map)
{
	struct meta_map *mm = cg_meta_map(cg, map);
	if (cg->failed)
		return val_int(cg_const(cg, 0), map->type);
	if (type_is_aggregation(mm->value))
		return cg_agg_read(cg, map);
	struct cg_map *m = user_map(cg, map);
	LLVMValueRef key = cg_map_key(cg, map, false);
	LLVMValueRef p = cg_map_lookup(cg, m, key);
	if (cg->meta->cfg.helper_check_level >= 2)
		cg_helper_error(cg, "map_lookup_elem", p);
	struct type *vt = mm->value;
	if (scalar_value(vt))
		return val_int(load_or_zero(cg, p, vt), map->type ? map->type : vt);
	LLVMBasicBlockRef found = cg_block(cg, "map_found"), done = cg_block(cg, "map_done");
	LLVMValueRef res = cg_alloc(cg, vt->size);
	cg_memset0_al(cg, res, (vt->size + 7) & ~7u, 8);
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), done, found);
	LLVMPositionBuilderAtEnd(cg->b, found);
	cg_memcpy(cg, res, p, vt->size);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	return val_mem(res, vt);
}

/* The map slot holding scalar v: 8 bytes, or a min/max slot {v, set}
 * (`@x = @min_map` makes @x a min map too). */
static LLVMValueRef scalar_slot(struct cg *cg, const struct meta_map *mm, LLVMValueRef v)
{
	bool mm_slot = is_minmax(mm->value);
	LLVMValueRef buf = cg_alloc(cg, mm_slot ? 16 : 8);
	cg_store_int(cg, buf, v, 8);
	if (mm_slot)
		cg_store_int(cg, cg_gep(cg, buf, 8), cg_const(cg, 1), 8);
	return buf;
}

/* Value buffer of map's value type holding v. */
static void cg_map_write(struct cg *cg, struct node *map, struct val v)
{
	struct meta_map *mm = cg_meta_map(cg, map);
	if (cg->failed)
		return;
	LLVMValueRef key = cg_map_key(cg, map, false);
	LLVMValueRef buf;
	if (scalar_value(mm->value)) {
		buf = scalar_slot(cg, mm, v.k == VK_INT ? v.v : cg_load_at(cg, v, 0, mm->value).v);
	} else {
		buf = cg_alloc(cg, mm->value->size);
		cg_store_val(cg, buf, mm->value, v);
	}
	cg_map_update(cg, user_map(cg, map), key, buf, BPF_ANY);
}

static void cg_map_write_expr(struct cg *cg, struct node *map, struct node *value)
{
	struct meta_map *mm = cg_meta_map(cg, map);
	if (cg->failed)
		return;
	if (scalar_value(mm->value)) {
		LLVMValueRef v = cg_int(cg, value);
		LLVMValueRef key = cg_map_key(cg, map, false);
		cg_map_update(cg, user_map(cg, map), key, scalar_slot(cg, mm, v), BPF_ANY);
		return;
	}
	LLVMValueRef buf = cg_alloc(cg, mm->value->size);
	cg_expr_into(cg, value, buf, mm->value);
	LLVMValueRef key = cg_map_key(cg, map, false);
	cg_map_update(cg, user_map(cg, map), key, buf, BPF_ANY);
}

static bool is_agg_call(struct node *n)
{
	if (n->kind != N_CALL)
		return false;
	switch (n->id) {
	case F_COUNT: case F_SUM: case F_MIN: case F_MAX: case F_AVG: case F_STATS:
	case F_HIST: case F_LHIST:
		return true;
	default:
		return false;
	}
}

void cg_map_assign(struct cg *cg, struct node *assign)
{
	struct node *map = assign->a, *value = assign->b;
	if (!map || !value || map->kind != N_MAP) {
		cg_fail(cg, "malformed map assignment");
		return;
	}
	if (is_agg_call(value))
		cg_aggregate(cg, map, value);
	else
		cg_map_write_expr(cg, map, value);
}

/* @m++ / --@m: read (0 when missing), add, write back; the value of the
 * expression is the old (postfix) or new (prefix) value. */
struct val cg_map_incdec(struct cg *cg, struct node *unop)
{
	struct node *map = unop->a;
	struct meta_map *mm = cg_meta_map(cg, map);
	if (cg->failed)
		return val_int(cg_const(cg, 0), unop->type);
	if (type_is_aggregation(mm->value)) {
		/* @x++ on a count-like map: add one */
		LLVMValueRef key = cg_map_key(cg, map, false);
		LLVMValueRef p = cg_map_lookup(cg, user_map(cg, map), key);
		LLVMBasicBlockRef found = cg_block(cg, "inc_found"), miss = cg_block(cg, "inc_new"),
				  done = cg_block(cg, "inc_done");
		LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), miss, found);
		LLVMPositionBuilderAtEnd(cg->b, found);
		cg_add_u64(cg, p, cg_const(cg, unop->op == OP_INC ? 1 : (uint64_t)-1), false);
		LLVMBuildBr(cg->b, done);
		LLVMPositionBuilderAtEnd(cg->b, miss);
		LLVMValueRef one = cg_alloc(cg, 8);
		cg_store_int(cg, one, cg_const(cg, unop->op == OP_INC ? 1 : (uint64_t)-1), 8);
		cg_map_update(cg, user_map(cg, map), key, one, BPF_NOEXIST);
		LLVMBuildBr(cg->b, done);
		LLVMPositionBuilderAtEnd(cg->b, done);
		return val_int(cg_const(cg, 0), unop->type);
	}
	struct val old = cg_map_read(cg, map);
	const struct type *vt = map->type ? map->type : mm->value;
	uint32_t step = vt->kind == TY_PTR && vt->elem && vt->elem->size ? vt->elem->size : 1;
	LLVMValueRef one = cg_const(cg, step);
	LLVMValueRef nv = unop->op == OP_INC ? LLVMBuildAdd(cg->b, old.v, one, "")
					     : LLVMBuildSub(cg->b, old.v, one, "");
	cg_map_write(cg, map, val_int(nv, mm->value));
	return val_int((unop->flags & NF_POSTFIX) ? old.v : nv, unop->type);
}

/* delete(@m[k]) / delete(@m) */
void cg_map_delete_call(struct cg *cg, struct node *call)
{
	if (!call->args.n || call->args.v[0]->kind != N_MAP) {
		cg_fail(cg, "delete() expects a map");
		return;
	}
	struct node *map = call->args.v[0];
	cg_meta_map(cg, map);
	if (cg->failed)
		return;
	LLVMValueRef key = cg_map_key(cg, map, false);
	if (cg_map_is_array(cg_meta_map(cg, map))) {
		LLVMValueRef zero = cg_alloc(cg, 8);
		cg_store_int(cg, zero, cg_const(cg, 0), 8);
		cg_map_update(cg, user_map(cg, map), key, zero, BPF_ANY);
		return;
	}
	cg_map_delete(cg, user_map(cg, map), key);
}

/* The callback of bpf_for_each_map_elem for len(): continue (0). */
static LLVMValueRef len_callback(struct cg *cg)
{
	LLVMValueRef f = LLVMGetNamedFunction(cg->mod, "map_len_cb");
	if (f)
		return f;
	LLVMTypeRef params[4] = { cg->t_ptr, cg->t_ptr, cg->t_ptr, cg->t_ptr };
	f = LLVMAddFunction(cg->mod, "map_len_cb", LLVMFunctionType(cg->t_i64, params, 4, 0));
	LLVMSetLinkage(f, LLVMInternalLinkage);
	unsigned k = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(cg->ctx, k, 0));
	LLVMMetadataRef lng = LLVMDIBuilderCreateBasicType(cg->di, "long", 4, 64, 0x05, LLVMDIFlagZero);
	LLVMMetadataRef pt[5] = { lng, cg->di_ptr, cg->di_ptr, cg->di_ptr, cg->di_ptr };
	LLVMMetadataRef fty = LLVMDIBuilderCreateSubroutineType(cg->di, cg->di_file, pt, 5, LLVMDIFlagZero);
	LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(cg->di, cg->di_file, "map_len_cb", 10,
							 "map_len_cb", 10, cg->di_file, 1, fty, 1, 1,
							 1, LLVMDIFlagPrototyped, 1);
	LLVMSetSubprogram(f, sp);
	const char *names[4] = { "map", "key", "value", "ctx" };
	for (unsigned i = 0; i < 4; i++)
		LLVMDIBuilderCreateParameterVariable(cg->di, sp, names[i], strlen(names[i]), i + 1,
						     cg->di_file, 1, cg->di_ptr, 1, LLVMDIFlagZero);
	LLVMBuilderRef b = LLVMCreateBuilderInContext(cg->ctx);
	LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(cg->ctx, f, "entry"));
	LLVMBuildRet(b, cg_const(cg, 0));
	LLVMDisposeBuilder(b);
	LLVMDIBuilderFinalizeSubprogram(cg->di, sp);
	return f;
}

/* len(@m): bpf_for_each_map_elem returns how many elements it visited. */
LLVMValueRef cg_map_len(struct cg *cg, struct node *map)
{
	cg_meta_map(cg, map);
	if (cg->failed)
		return cg_const(cg, 0);
	LLVMValueRef args[4] = { cg_map_ref(cg, user_map(cg, map)), len_callback(cg),
				 LLVMConstNull(cg->t_ptr), cg_const(cg, 0) };
	return cg_helper(cg, BPF_FUNC_for_each_map_elem, cg->t_i64, args, 4);
}
