/* agg.c - aggregation map functions (docs/bpftrace-compat.md "BPF maps",
 * "Histogram buckets"): count, sum, min, max, avg, stats, hist, lhist on
 * per-CPU hash maps with 8-byte values (min/max: 16, a value and a set
 * flag).  Each CPU updates its own slot without atomics; bt-load combines
 * them.  avg/stats keep {bucket 0: count, bucket 1: total}; hist/lhist one
 * slot per bucket index, computed here (docs/bpftrace-compat.md "Histogram
 * buckets").
 */
#include <linux/bpf.h>

#include "cg.h"

static struct cg_map *agg_map(struct cg *cg, struct node *map)
{
	return cg->user_maps[map->id];
}

/* *slot += v, or insert v when the key is new. */
static void slot_add(struct cg *cg, struct cg_map *m, LLVMValueRef key, LLVMValueRef v)
{
	LLVMValueRef p = cg_map_lookup(cg, m, key);
	LLVMBasicBlockRef found = cg_block(cg, "agg_found"), miss = cg_block(cg, "agg_new"),
			  done = cg_block(cg, "agg_done");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), miss, found);
	LLVMPositionBuilderAtEnd(cg->b, found);
	cg_add_u64(cg, p, v, false);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, miss);
	struct cg_mark mk = cg_mark(cg);
	LLVMValueRef buf = cg_alloc(cg, 8);
	cg_store_int(cg, buf, v, 8);
	cg_map_update(cg, m, key, buf, BPF_NOEXIST);
	cg_release(cg, mk);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* min/max slots are {i64 value; u64 set}: a per-CPU hash gives every CPU
 * a zeroed slot when one CPU inserts a key, and the flag tells bt-load
 * which slots were really written.  Store x when the key is new, this
 * CPU's slot is unset, or x beats it (signed or not as the map's value). */
static void slot_minmax(struct cg *cg, struct cg_map *m, LLVMValueRef key, LLVMValueRef x,
			bool is_min, bool is_signed)
{
	LLVMValueRef p = cg_map_lookup(cg, m, key);
	LLVMBasicBlockRef found = cg_block(cg, "mm_found"), cmp = cg_block(cg, "mm_cmp"),
			  store = cg_block(cg, "mm_store"), miss = cg_block(cg, "mm_new"),
			  done = cg_block(cg, "mm_done");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), miss, found);
	LLVMPositionBuilderAtEnd(cg->b, found);
	LLVMValueRef flag = cg_gep(cg, p, 8);
	LLVMValueRef set = LLVMBuildLoad2(cg->b, cg->t_i64, flag, "");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, set, cg_const(cg, 0), ""), store,
			cmp);
	LLVMPositionBuilderAtEnd(cg->b, cmp);
	LLVMValueRef cur = LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
	LLVMIntPredicate lt = is_signed ? LLVMIntSLT : LLVMIntULT;
	LLVMValueRef better = is_min ? LLVMBuildICmp(cg->b, lt, x, cur, "")
				     : LLVMBuildICmp(cg->b, lt, cur, x, "");
	LLVMBuildCondBr(cg->b, better, store, done);
	LLVMPositionBuilderAtEnd(cg->b, store);
	LLVMBuildStore(cg->b, x, p);
	LLVMBuildStore(cg->b, cg_const(cg, 1), flag);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, miss);
	struct cg_mark mk = cg_mark(cg);
	LLVMValueRef buf = cg_alloc(cg, 16);
	cg_store_int(cg, buf, x, 8);
	cg_store_int(cg, cg_gep(cg, buf, 8), cg_const(cg, 1), 8);
	cg_map_update(cg, m, key, buf, BPF_ANY);
	cg_release(cg, mk);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* The bucket index follows the packed key: it may be under-aligned (the
 * verifier rejects misaligned stack stores). */
static void store_bucket(struct cg *cg, LLVMValueRef key, uint32_t ks, LLVMValueRef v)
{
	uint32_t al = 8;
	while (al > 1 && ks % al)
		al /= 2;
	cg_store_int_al(cg, cg_gep(cg, key, ks), v, 8, al);
}

static LLVMValueRef sel(struct cg *cg, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(cg->b, c, a, b, "");
}

/* The log2 bucket of v (as signed 64-bit) with k linear sub-buckets. */
static LLVMValueRef log2_bucket(struct cg *cg, LLVMValueRef v, int k)
{
	LLVMBuilderRef b = cg->b;
	uint64_t mask = (1ULL << k) - 1;
	LLVMValueRef l = cg_const(cg, 0), t = v;
	for (int sh = 32; sh >= 1; sh /= 2) {
		LLVMValueRef c = LLVMBuildICmp(b, LLVMIntUGE, t, cg_const(cg, 1ULL << sh), "");
		t = sel(cg, c, LLVMBuildLShr(b, t, cg_const(cg, (uint64_t)sh), ""), t);
		l = sel(cg, c, LLVMBuildAdd(b, l, cg_const(cg, (uint64_t)sh), ""), l);
	}
	LLVMValueRef s = LLVMBuildSub(b, l, cg_const(cg, (uint64_t)k), "");
	/* s >= 0 whenever v > mask; mask the shift for the other arms */
	LLVMValueRef sm = LLVMBuildAnd(b, s, cg_const(cg, 63), "");
	LLVMValueRef x = LLVMBuildAnd(b, LLVMBuildLShr(b, v, sm, ""), cg_const(cg, mask), "");
	LLVMValueRef big = LLVMBuildAdd(b, LLVMBuildAdd(b, LLVMBuildShl(b, LLVMBuildAdd(b, sm, cg_const(cg, 1), ""),
								     cg_const(cg, (uint64_t)k), ""),
						   x, ""),
					cg_const(cg, 1), "");
	LLVMValueRef small = LLVMBuildAdd(b, v, cg_const(cg, 1), "");
	LLVMValueRef r = sel(cg, LLVMBuildICmp(b, LLVMIntSLE, v, cg_const(cg, mask), ""), small, big);
	return sel(cg, LLVMBuildICmp(b, LLVMIntSLT, v, cg_const(cg, 0), ""), cg_const(cg, 0), r);
}

/* The linear bucket. */
static LLVMValueRef linear_bucket(struct cg *cg, LLVMValueRef v, int64_t min, int64_t max,
				  int64_t step)
{
	LLVMBuilderRef b = cg->b;
	if (step < 1)
		step = 1;
	uint64_t top = 1 + (uint64_t)(max - min) / (uint64_t)step;
	LLVMValueRef in = LLVMBuildAdd(
		b, LLVMBuildUDiv(b, LLVMBuildSub(b, v, cg_const(cg, (uint64_t)min), ""),
				 cg_const(cg, (uint64_t)step), ""),
		cg_const(cg, 1), "");
	LLVMValueRef r = sel(cg, LLVMBuildICmp(b, LLVMIntSGT, v, cg_const(cg, (uint64_t)max), ""),
			     cg_const(cg, top), in);
	return sel(cg, LLVMBuildICmp(b, LLVMIntSLT, v, cg_const(cg, (uint64_t)min), ""),
		   cg_const(cg, 0), r);
}

static int64_t literal_arg(struct node *call, size_t i, int64_t dflt)
{
	if (i < call->args.n && call->args.v[i]->kind == N_INT)
		return call->args.v[i]->num;
	return dflt;
}

void cg_aggregate(struct cg *cg, struct node *map, struct node *call)
{
	struct meta_map *mm = cg_meta_map(cg, map);
	if (cg->failed)
		return;
	struct cg_map *m = agg_map(cg, map);
	LLVMValueRef x = NULL;
	if (call->id != F_COUNT) {
		if (!call->args.n) {
			cg_fail(cg, "%s() without an argument", func_name((enum func)call->id));
			return;
		}
		x = cg_int(cg, call->args.v[0]);
	}
	uint32_t ks = mm->key_size ? mm->key_size : 8;
	switch (call->id) {
	case F_COUNT:
		slot_add(cg, m, cg_map_key(cg, map, false), cg_const(cg, 1));
		break;
	case F_SUM:
		slot_add(cg, m, cg_map_key(cg, map, false), x);
		break;
	case F_MIN:
	case F_MAX:
		slot_minmax(cg, m, cg_map_key(cg, map, false), x, call->id == F_MIN,
			    mm->value->is_signed);
		break;
	case F_AVG:
	case F_STATS: {
		LLVMValueRef key = cg_map_key(cg, map, true);
		store_bucket(cg, key, ks, cg_const(cg, 0));
		slot_add(cg, m, key, cg_const(cg, 1));
		store_bucket(cg, key, ks, cg_const(cg, 1));
		slot_add(cg, m, key, x);
		break;
	}
	case F_HIST: {
		int k = (int)literal_arg(call, 1, mm->hist_bits);
		if (k < 0 || k > 5)
			k = 0;
		LLVMValueRef idx = log2_bucket(cg, x, k);
		LLVMValueRef key = cg_map_key(cg, map, true);
		store_bucket(cg, key, ks, idx);
		slot_add(cg, m, key, cg_const(cg, 1));
		break;
	}
	case F_LHIST: {
		int64_t min = literal_arg(call, 1, mm->lh_min), max = literal_arg(call, 2, mm->lh_max),
			step = literal_arg(call, 3, mm->lh_step);
		LLVMValueRef idx = linear_bucket(cg, x, min, max, step);
		LLVMValueRef key = cg_map_key(cg, map, true);
		store_bucket(cg, key, ks, idx);
		slot_add(cg, m, key, cg_const(cg, 1));
		break;
	}
	default:
		cg_fail(cg, "%s() is not an aggregation", func_name((enum func)call->id));
	}
}


/* Reading an aggregation in BPF sees this CPU's slot only (as bpftrace);
 * avg/stats give total/count, hist/lhist 0. */
struct val cg_agg_read(struct cg *cg, struct node *map)
{
	struct meta_map *mm = cg_meta_map(cg, map);
	struct cg_map *m = agg_map(cg, map);
	struct type *t = map->type ? map->type : mm->value;
	uint32_t ks = mm->key_size ? mm->key_size : 8;
	switch (mm->value->kind) {
	case TY_AVG:
	case TY_STATS: {
		LLVMValueRef key = cg_map_key(cg, map, true);
		store_bucket(cg, key, ks, cg_const(cg, 0));
		LLVMValueRef cnt = cg_map_read_u64(cg, m, key);
		store_bucket(cg, key, ks, cg_const(cg, 1));
		LLVMValueRef tot = cg_map_read_u64(cg, m, key);
		LLVMValueRef zero = LLVMBuildICmp(cg->b, LLVMIntEQ, cnt, cg_const(cg, 0), "");
		/* signed total / count; BPF before v4 has no signed division */
		LLVMValueRef neg = LLVMBuildICmp(cg->b, LLVMIntSLT, tot, cg_const(cg, 0), "");
		LLVMValueRef mag = sel(cg, neg, LLVMBuildNeg(cg->b, tot, ""), tot);
		LLVMValueRef q = LLVMBuildUDiv(cg->b, mag, sel(cg, zero, cg_const(cg, 1), cnt), "");
		LLVMValueRef div = sel(cg, neg, LLVMBuildNeg(cg->b, q, ""), q);
		return val_int(sel(cg, zero, cg_const(cg, 0), div), t);
	}
	case TY_HIST:
	case TY_LHIST:
		return val_int(cg_const(cg, 0), t);
	default:
		return val_int(cg_map_read_u64(cg, m, cg_map_key(cg, map, false)), t);
	}
}
