/* output.c - asynchronous actions: events sent to user space through the
 * `ringbuf` map (docs/bpftrace-compat.md "Event records"; layouts of
 * printf/system/cat records from meta, "printf argument records"): printf,
 * system, cat, exit, print (map / value), clear, zero, time, join, unwatch,
 * debugf (bpf_trace_printk).
 *
 * A record is built in a buffer (frame or scratch) and handed to
 * bpf_ringbuf_output; when the ring buffer refuses it, ringbuf_loss[0]
 * is incremented atomically so bt-load can report lost events.
 *
 * Wakeups: waking the consumer for every record costs more than the rest
 * of a printf (an irq_work and a context switch per event once bt-load
 * keeps up).  Bulk records (printf and other output) are written with
 * BPF_RB_NO_WAKEUP until "an eighth" is pending, then with
 * BPF_RB_FORCE_WAKEUP; bt-load also polls on a short timer, so a lone
 * event is still printed promptly.  Control records (exit, watchpoint
 * attach) wake the consumer while no more than an eighth is pending (the
 * kernel's adaptive wakeup would stay silent when bulk records are
 * already pending); above that the bulk records wake it (wakeup_flags).
 * Asking the ring how much is pending is a helper call (~20 ns, a tenth of
 * a printf): while the consumer keeps up, a bulk record asks only once its
 * CPU has written an eighth of the eighth since the last look (ringbuf_sent,
 * a per-CPU countdown whose lookup the kernel inlines from Linux 6.10).
 *
 * "An eighth" is of the ring as compiled: perf_rb_pages pages, one CPU's
 * share.  bt-load sizes the ring for every CPU (perf_rb_pages per CPU), so
 * on N CPUs the wakeup comes at 1/(8N) of the ring, and the N countdowns
 * together let at most 1/64 of it go unlooked at: earlier, never later,
 * than on one CPU.
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

#define JOIN_SLOTS 16
#define JOIN_SLOT_SIZE 1024

/* A u32 key slot holding v, made once per program in its entry block. */
static LLVMValueRef key_slot(struct cg *cg, LLVMValueRef *slot, uint32_t v, const char *name)
{
	if (!*slot) {
		*slot = cg_entry_alloca(cg, cg->t_i32, name);
		LLVMBuildStore(cg->fn->ab, cg_const32(cg, v), *slot);
	}
	return *slot;
}

LLVMValueRef cg_key0(struct cg *cg)
{
	return key_slot(cg, &cg->fn->key0, 0, "key0");
}

/* ringbuf_loss[1]: non-zero once a probe has called exit(). */
static LLVMValueRef exit_flag_key(struct cg *cg)
{
	return key_slot(cg, &cg->fn->key1, 1, "key1");
}

/* Bulk records between two looks at the ring: an eighth of the eighth
 * (records of that size or more look every time). */
static uint64_t ask_every(struct cg *cg)
{
	uint64_t chunk = 1;
	while (chunk * 2 <= cg->ringbuf->max_entries / 64)
		chunk *= 2;
	return chunk;
}

/* *ringbuf_sent = v, if the map has this CPU's slot. */
static void set_sent(struct cg *cg, LLVMValueRef v)
{
	LLVMValueRef p = cg_map_lookup(cg, cg->ringbuf_sent, cg_key0(cg));
	LLVMBasicBlockRef set = cg_block(cg, "rb_sent_set"), done = cg_block(cg, "rb_sent_done");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), done, set);
	LLVMPositionBuilderAtEnd(cg->b, set);
	LLVMSetAlignment(LLVMBuildStore(cg->b, v, p), 8);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* Wake the consumer for a bulk record (of size bytes) once an eighth of
 * the ring is pending, unless a probe has called exit() (bt-load then
 * stops reading: under an event flood a wakeup per event, an irq_work
 * each, starves the machine); for a control record only while no more
 * than an eighth is pending (above it the bulk records wake it).
 *
 * A bulk record looks at the ring only when this CPU's countdown of
 * bytes (ringbuf_sent) has run out; the look sets it again, to
 * ask_every() bytes while no more than an eighth is pending, else to 0:
 * while the consumer is behind, every record looks and wakes it, as
 * without the countdown (those wakeups also slow the producer down to
 * the consumer's pace instead of filling the ring). */
static LLVMValueRef wakeup_flags(struct cg *cg, LLVMValueRef size, bool bulk)
{
	LLVMBasicBlockRef skip_from = NULL, join = NULL;
	if (bulk) {
		if (!cg->ringbuf_sent)
			cg->ringbuf_sent = cg_map_new(cg, "ringbuf_sent", BPF_MAP_TYPE_PERCPU_ARRAY,
						      4, 8, 1);
		LLVMValueRef sent = cg_map_lookup(cg, cg->ringbuf_sent, cg_key0(cg));
		LLVMBasicBlockRef count = cg_block(cg, "rb_count"), ask = cg_block(cg, "rb_ask");
		join = cg_block(cg, "rb_flags");
		LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, sent, ""), ask, count);
		LLVMPositionBuilderAtEnd(cg->b, count);
		LLVMValueRef left = LLVMBuildLoad2(cg->b, cg->t_i64, sent, "");
		LLVMSetAlignment(left, 8);
		LLVMValueRef fits = LLVMBuildICmp(cg->b, LLVMIntUGT, left, size, "");
		LLVMValueRef next = LLVMBuildSelect(cg->b, fits, LLVMBuildSub(cg->b, left, size, ""),
						    cg_const(cg, ask_every(cg)), "");
		LLVMSetAlignment(LLVMBuildStore(cg->b, next, sent), 8);
		skip_from = LLVMGetInsertBlock(cg->b);
		LLVMBuildCondBr(cg->b, fits, join, ask);
		LLVMPositionBuilderAtEnd(cg->b, ask);
	}
	LLVMValueRef qargs[2] = { cg_map_ref(cg, cg->ringbuf), cg_const(cg, BPF_RB_AVAIL_DATA) };
	LLVMValueRef avail = cg_helper(cg, BPF_FUNC_ringbuf_query, cg->t_i64, qargs, 2);
	LLVMValueRef eighth = cg_const(cg, cg->ringbuf->max_entries / 8);
	LLVMValueRef wake = LLVMBuildICmp(cg->b, bulk ? LLVMIntUGT : LLVMIntULE, avail, eighth, "");
	if (bulk) {
		LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
		LLVMBasicBlockRef chk = cg_block(cg, "rb_exit_chk"), wjoin = cg_block(cg, "rb_wake");
		LLVMBuildCondBr(cg->b, wake, chk, wjoin);
		LLVMPositionBuilderAtEnd(cg->b, chk);
		set_sent(cg, cg_const(cg, 0));
		LLVMValueRef flag = cg_map_read_u64(cg, cg->ringbuf_loss, exit_flag_key(cg));
		LLVMValueRef running = LLVMBuildICmp(cg->b, LLVMIntEQ, flag, cg_const(cg, 0), "");
		LLVMBasicBlockRef chk_end = LLVMGetInsertBlock(cg->b);
		LLVMBuildBr(cg->b, wjoin);
		LLVMPositionBuilderAtEnd(cg->b, wjoin);
		LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_i1, "");
		LLVMValueRef vals[2] = { LLVMConstInt(cg->t_i1, 0, 0), running };
		LLVMBasicBlockRef bbs[2] = { from, chk_end };
		LLVMAddIncoming(phi, vals, bbs, 2);
		wake = phi;
	}
	LLVMValueRef flags = LLVMBuildSelect(cg->b, wake, cg_const(cg, BPF_RB_FORCE_WAKEUP),
					     cg_const(cg, BPF_RB_NO_WAKEUP), "");
	if (!bulk)
		return flags;
	LLVMBasicBlockRef asked = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, join);
	LLVMPositionBuilderAtEnd(cg->b, join);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_i64, "rb_flags");
	LLVMValueRef vals[2] = { cg_const(cg, BPF_RB_NO_WAKEUP), flags };
	LLVMBasicBlockRef bbs[2] = { skip_from, asked };
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

static void output_sized(struct cg *cg, LLVMValueRef p, LLVMValueRef size, bool bulk);

void cg_output(struct cg *cg, LLVMValueRef p, uint32_t size)
{
	cg_output_ex(cg, p, size, true);
}

void cg_output_ex(struct cg *cg, LLVMValueRef p, uint32_t size, bool bulk)
{
	output_sized(cg, p, cg_const(cg, size), bulk);
}

/* size: an i64 the verifier can bound (a constant on each path). */
static void output_sized(struct cg *cg, LLVMValueRef p, LLVMValueRef size, bool bulk)
{
	LLVMValueRef flags = wakeup_flags(cg, size, bulk);
	LLVMValueRef args[4] = { cg_map_ref(cg, cg->ringbuf), p, size, flags };
	LLVMValueRef r = cg_helper(cg, BPF_FUNC_ringbuf_output, cg->t_i64, args, 4);
	LLVMBasicBlockRef lost = cg_block(cg, "rb_lost"), lost2 = cg_block(cg, "rb_lost_cnt"),
			  done = cg_block(cg, "rb_done");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, r, cg_const(cg, 0), ""), lost, done);
	LLVMPositionBuilderAtEnd(cg->b, lost);
	LLVMValueRef cnt = cg_map_lookup(cg, cg->ringbuf_loss, cg_key0(cg));
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, cnt, ""), done, lost2);
	LLVMPositionBuilderAtEnd(cg->b, lost2);
	cg_add_u64(cg, cnt, cg_const(cg, 1), true);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

static LLVMValueRef record(struct cg *cg, uint32_t size, uint64_t id)
{
	LLVMValueRef p = cg_alloc_zero(cg, size);
	cg_store_int(cg, p, cg_iconst(cg, id), 8);
	return p;
}

/* printf / system / cat: {u64 id; args at the offsets bt-check chose} */
static void format_event(struct cg *cg, struct node *call, uint64_t base, struct meta_fmt *fmts,
			 size_t nfmts, const char *what)
{
	if (call->id2 < 0 || (size_t)call->id2 >= nfmts) {
		cg_fail(cg, "%s() has no format metadata (id %d)", what, call->id2);
		return;
	}
	struct meta_fmt *f = &fmts[call->id2];
	if (call->args.n < (size_t)f->nargs + 1) {
		cg_fail(cg, "%s() has fewer arguments than its format metadata", what);
		return;
	}
	LLVMValueRef rec = record(cg, f->size, base + (uint64_t)call->id2);
	for (uint32_t i = 0; i < f->nargs; i++)
		cg_expr_into_z(cg, call->args.v[i + 1], cg_gep(cg, rec, f->args[i].offset),
			       f->args[i].type, true);
	cg_output(cg, rec, f->size);
}

static void exit_event(struct cg *cg)
{
	LLVMValueRef flag = cg_map_lookup(cg, cg->ringbuf_loss, exit_flag_key(cg));
	LLVMBasicBlockRef set = cg_block(cg, "exit_flag"), go = cg_block(cg, "exit_record");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, flag, ""), go, set);
	LLVMPositionBuilderAtEnd(cg->b, set);
	LLVMBuildStore(cg->b, cg_const(cg, 1), flag);
	LLVMBuildBr(cg->b, go);
	LLVMPositionBuilderAtEnd(cg->b, go);
	LLVMValueRef rec = record(cg, 8, ASYNC_EXIT);
	cg_output_ex(cg, rec, 8, false);
	cg_return(cg);
}

static LLVMValueRef u32_arg(struct cg *cg, struct node *call, size_t i)
{
	if (i >= call->args.n)
		return cg_const(cg, 0);
	return cg_int(cg, call->args.v[i]);
}

/* print(@m [, top [, div]]) or print(value) */
static void print_event(struct cg *cg, struct node *call)
{
	if (!call->args.n) {
		cg_fail(cg, "print() without an argument");
		return;
	}
	struct node *a = call->args.v[0];
	if (a->kind == N_MAP && a->args.n == 0) {
		struct meta_map *mm = cg_meta_map(cg, a);
		if (cg->failed)
			return;
		LLVMValueRef top = u32_arg(cg, call, 1), div = u32_arg(cg, call, 2);
		LLVMValueRef rec = record(cg, 24, ASYNC_PRINT);
		cg_store_int(cg, cg_gep(cg, rec, 8), cg_iconst(cg, mm->id), 4);
		cg_store_int(cg, cg_gep(cg, rec, 12), top, 4);
		cg_store_int(cg, cg_gep(cg, rec, 16), div, 4);
		cg_output(cg, rec, 20);
		return;
	}
	if (call->id2 < 0 || (size_t)call->id2 >= cg->meta->print_types.n) {
		cg_fail(cg, "print() of a value has no type metadata (id %d)", call->id2);
		return;
	}
	struct type *t = cg->meta->print_types.v[call->id2];
	LLVMValueRef rec = record(cg, 16 + t->size, ASYNC_PRINT_NON_MAP);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_iconst(cg, (uint64_t)call->id2), 8);
	cg_expr_into(cg, a, cg_gep(cg, rec, 16), t);
	cg_output(cg, rec, 16 + t->size);
}

/* clear(@m) / zero(@m): {u64 id; u32 map id} */
static void map_event(struct cg *cg, struct node *call, uint64_t id)
{
	if (!call->args.n || call->args.v[0]->kind != N_MAP) {
		cg_fail(cg, "%s() expects a map", func_name((enum func)call->id));
		return;
	}
	struct meta_map *mm = cg_meta_map(cg, call->args.v[0]);
	if (cg->failed)
		return;
	LLVMValueRef rec = record(cg, 16, id);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_iconst(cg, mm->id), 4);
	cg_output(cg, rec, 12);
}

static void time_event(struct cg *cg, struct node *call)
{
	LLVMValueRef rec = record(cg, 16, ASYNC_TIME);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_iconst(cg, (uint64_t)call->id2), 4);
	cg_output(cg, rec, 12);
}

/* join(char **arr [, delim]): 16 strings of up to 1024 bytes read through
 * the pointer array, one slot each.  The first null pointer ends the list:
 * nothing after it is read, and the record ends before its slot (bt-fmt
 * stops at the end of the record as at an empty slot), so an execve of 3
 * arguments sends 3 KiB instead of 16 and no string of whatever follows
 * the array's terminator is read. */
static void join_event(struct cg *cg, struct node *call)
{
	if (!call->args.n) {
		cg_fail(cg, "join() without an argument");
		return;
	}
	struct node *arr = call->args.v[0];
	uint8_t as = arr->type ? arr->type->as : AS_NONE;
	LLVMValueRef base = cg_int(cg, arr);
	uint32_t size = 16 + JOIN_SLOTS * JOIN_SLOT_SIZE;
	LLVMValueRef rec = cg_alloc(cg, size);
	cg_store_int(cg, rec, cg_const(cg, ASYNC_JOIN), 8);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_iconst(cg, (uint64_t)call->id2), 8);
	LLVMValueRef ptr = cg_alloc(cg, 8);
	LLVMBasicBlockRef out = cg_block(cg, "join_out");
	LLVMValueRef sizes[JOIN_SLOTS + 1];
	LLVMBasicBlockRef from[JOIN_SLOTS + 1];
	for (int i = 0; i < JOIN_SLOTS; i++) {
		LLVMValueRef slot = cg_gep(cg, rec, 16 + (uint64_t)i * JOIN_SLOT_SIZE);
		cg_store_int(cg, ptr, cg_const(cg, 0), 8);
		LLVMValueRef addr = LLVMBuildAdd(cg->b, base, cg_const(cg, 8ULL * (uint64_t)i), "");
		cg_probe_read(cg, ptr, cg_const32(cg, 8), addr, as);
		LLVMValueRef p = LLVMBuildLoad2(cg->b, cg->t_i64, ptr, "");
		LLVMBasicBlockRef rd = cg_block(cg, "join_read");
		sizes[i] = cg_const(cg, 16 + (uint64_t)i * JOIN_SLOT_SIZE);
		from[i] = LLVMGetInsertBlock(cg->b);
		LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, p, cg_const(cg, 0), ""), out, rd);
		LLVMPositionBuilderAtEnd(cg->b, rd);
		cg_probe_read_str(cg, slot, cg_const32(cg, JOIN_SLOT_SIZE), p, as);
	}
	sizes[JOIN_SLOTS] = cg_const(cg, size);
	from[JOIN_SLOTS] = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, out);
	LLVMPositionBuilderAtEnd(cg->b, out);
	LLVMValueRef n = LLVMBuildPhi(cg->b, cg->t_i64, "join_size");
	LLVMAddIncoming(n, sizes, from, JOIN_SLOTS + 1);
	output_sized(cg, rec, n, true);
}

static void unwatch_event(struct cg *cg, struct node *call)
{
	LLVMValueRef addr = u32_arg(cg, call, 0);
	LLVMValueRef rec = record(cg, 16, ASYNC_WATCHPOINT_DETACH);
	cg_store_int(cg, cg_gep(cg, rec, 8), addr, 8);
	cg_output(cg, rec, 16);
}

/* debugf(fmt, ...): bpf_trace_printk with the format on the stack and up
 * to three arguments (strings by address). */
static void debugf(struct cg *cg, struct node *call)
{
	if (!call->args.n || call->args.v[0]->kind != N_STR) {
		cg_fail(cg, "debugf() expects a format string");
		return;
	}
	struct node *f = call->args.v[0];
	LLVMValueRef fmt = cg_alloc(cg, f->len + 1);
	cg_str_literal_into(cg, f, fmt, f->len + 1, 8);
	LLVMValueRef args[5] = { fmt, cg_const32(cg, f->len + 1) };
	unsigned n = 2;
	for (size_t i = 1; i < call->args.n && n < 5; i++) {
		struct val v = cg_expr(cg, call->args.v[i]);
		if (v.k == VK_INT)
			args[n++] = v.v;
		else
			args[n++] = LLVMBuildPtrToInt(cg->b, cg_val_ptr(cg, v), cg->t_i64, "");
	}
	cg_helper(cg, BPF_FUNC_trace_printk, cg->t_i64, args, n);
}

/* printf in an iter probe writes to the iterator's seq_file:
 * bpf_seq_printf(ctx->meta->seq, fmt, fmt size, u64 args[], size) with
 * strings passed by address, as the kernel's bprintf wants. */
static void seq_printf(struct cg *cg, struct node *call)
{
	struct node *f = call->args.n ? call->args.v[0] : NULL;
	if (!f || f->kind != N_STR) {
		cg_fail(cg, "printf() expects a format string");
		return;
	}
	size_t nargs = call->args.n - 1;
	if (nargs > 12) {
		cg_fail(cg, "printf() in an iter probe takes at most 12 arguments");
		return;
	}
	LLVMValueRef fmt = cg_alloc(cg, f->len + 1);
	cg_str_literal_into(cg, f, fmt, f->len + 1, 8);
	LLVMValueRef data = cg_alloc_zero(cg, (uint32_t)(nargs ? nargs : 1) * 8);
	for (size_t i = 0; i < nargs; i++) {
		struct val v = cg_expr(cg, call->args.v[i + 1]);
		LLVMValueRef x = v.k == VK_INT ? v.v
				 : LLVMBuildPtrToInt(cg->b, cg_val_ptr(cg, v), cg->t_i64, "");
		cg_store_int(cg, cg_gep(cg, data, 8 * i), x, 8);
	}
	LLVMValueRef meta = LLVMBuildLoad2(cg->b, cg->t_ptr, cg->fn->ctx, "iter_meta");
	LLVMValueRef seq = LLVMBuildLoad2(cg->b, cg->t_ptr, meta, "seq");
	LLVMValueRef args[5] = { seq, fmt, cg_const32(cg, f->len + 1), data,
				 cg_const32(cg, (uint32_t)nargs * 8) };
	cg_helper(cg, BPF_FUNC_seq_printf, cg->t_i64, args, 5);
}

struct val cg_call_output(struct cg *cg, struct node *call)
{
	struct meta *m = cg->meta;
	switch (call->id) {
	case F_PRINTF:
		if (cg->fn->probe->type == PT_ITER) {
			seq_printf(cg, call);
			break;
		}
		format_event(cg, call, ASYNC_PRINTF_BASE, m->printfs.v, m->printfs.n, "printf");
		break;
	case F_SYSTEM:
		format_event(cg, call, ASYNC_SYSTEM_BASE, m->systems.v, m->systems.n, "system");
		break;
	case F_CAT:
		format_event(cg, call, ASYNC_CAT_BASE, m->cats.v, m->cats.n, "cat");
		break;
	case F_EXIT: exit_event(cg); break;
	case F_PRINT: print_event(cg, call); break;
	case F_CLEAR: map_event(cg, call, ASYNC_CLEAR); break;
	case F_ZERO: map_event(cg, call, ASYNC_ZERO); break;
	case F_TIME: time_event(cg, call); break;
	case F_JOIN: join_event(cg, call); break;
	case F_UNWATCH: unwatch_event(cg, call); break;
	case F_DEBUGF: debugf(cg, call); break;
	default:
		cg_fail(cg, "internal error: %s() is not an output call", func_name((enum func)call->id));
	}
	return val_none();
}
