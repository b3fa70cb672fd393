/* core.c - CO-RE: reads of kernel types are relocated at load time.
 *
 * A record bt-check took from the kernel's BTF (type.btf) has the field
 * offsets of the kernel it was compiled against.  Instead of adding those
 * offsets, a field address is computed by llvm.preserve.struct.access.index
 * (unions: preserve.union.access.index) carrying, as
 * !llvm.preserve.access.index, a debug-info struct that mirrors the record
 * as far as this program uses it: one member per field read, by name, with
 * the compile kernel's offset and a type of the same kind (int, pointer,
 * array, nested record).  LLVM's BPF backend turns each access chain into a
 * .BTF.ext field relocation ("task_struct", access "0:3"), and libbpf
 * rewrites the offset for the kernel it loads on, matching members by name
 * (also inside anonymous struct/union members, which bt-check flattens).
 * Bit-fields also relocate their byte size and shifts
 * (llvm.bpf.preserve.field.info); offsetof() of a kernel record is a
 * byte-offset relocation, sizeof() a type-size relocation and a named
 * kernel enum's value an enum-value relocation
 * (llvm.bpf.preserve.enum.value).
 *
 * Each relocated field is listed in meta.target.core_fields (record,
 * field, size read, first source location) so that bt-load can refuse,
 * with the source position, an object whose field is missing or has
 * another size on the target before libbpf sees it.
 *
 * The debug-info records are created as replaceable nodes while lowering
 * and completed with their member lists by cg_core_finish().
 */
#include <string.h>

#include "cg.h"

/* llvm.bpf.preserve.field.info kinds (BTF field relocation kinds) */
enum { FI_BYTE_OFFSET = 0, FI_BYTE_SIZE = 1, FI_LSHIFT_U64 = 4, FI_RSHIFT_U64 = 5 };
/* llvm.bpf.preserve.type.info flag 1: the type's size */
enum { TI_SIZE = 1 };

struct core_rec {
	const struct type *t;
	LLVMMetadataRef temp;     /* replaceable composite, completed at the end */
	VEC(uint32_t) fields;     /* indices into t->fields, in member order */
};

struct cg_core {
	VEC(struct core_rec *) recs;
	unsigned md_kind;
	uint32_t seq;             /* type.info sequence numbers */
};

bool cg_core_record(const struct type *t)
{
	return t && t->kind == TY_RECORD && t->btf && t->name && !t->incomplete;
}

static struct cg_core *core(struct cg *cg)
{
	if (!cg->core) {
		cg->core = ARENA_NEW(struct cg_core);
		cg->core->md_kind = LLVMGetMDKindIDInContext(cg->ctx, "llvm.preserve.access.index",
							     26);
	}
	return cg->core;
}

static bool is_union(const struct type *t) { return !strncmp(t->name, "union ", 6); }

/* Relocations are rooted at a named type (libbpf looks it up by name);
 * an anonymous record can only be reached inside a chain. */
bool cg_core_root(const struct type *t)
{
	return cg_core_record(t) && !strstr(t->name, "(anonymous");
}

/* "struct task_struct" -> "task_struct"; anonymous records have no name */
static const char *c_name(const struct type *t)
{
	if (strstr(t->name, "(anonymous"))
		return "";
	const char *sp = strchr(t->name, ' ');
	return sp ? sp + 1 : t->name;
}

static uint32_t rec_align(const struct type *t)
{
	uint32_t a = t->align ? t->align : 1;
	return a > 8 ? 8 : a;
}

static struct core_rec *rec_of(struct cg *cg, const struct type *t)
{
	struct cg_core *c = core(cg);
	for (size_t i = 0; i < c->recs.n; i++)
		if (c->recs.v[i]->t == t || !strcmp(c->recs.v[i]->t->name, t->name))
			return c->recs.v[i];
	struct core_rec *r = ARENA_NEW(struct core_rec);
	r->t = t;
	const char *n = c_name(t);
	r->temp = LLVMDIBuilderCreateReplaceableCompositeType(
		cg->di, is_union(t) ? 0x17 /* DW_TAG_union_type */ : 0x13 /* structure */, n,
		strlen(n), cg->di_file, cg->di_file, 0, 0, (uint64_t)t->size * 8,
		rec_align(t) * 8, LLVMDIFlagZero, "", 0);
	VEC_PUSH(&c->recs, r);
	return r;
}

/* Member index of field fi in the record's debug info (added on first use). */
static uint32_t member_index(struct core_rec *r, uint32_t fi)
{
	for (size_t i = 0; i < r->fields.n; i++)
		if (r->fields.v[i] == fi)
			return (uint32_t)i;
	VEC_PUSH(&r->fields, fi);
	return (uint32_t)r->fields.n - 1;
}

static LLVMMetadataRef di_basic(struct cg *cg, uint32_t bytes, bool is_signed)
{
	char name[16];
	snprintf(name, sizeof name, "%s%u", is_signed ? "s" : "u", bytes * 8);
	return LLVMDIBuilderCreateBasicType(cg->di, name, strlen(name), (uint64_t)bytes * 8,
					    is_signed ? 0x05 : 0x07, LLVMDIFlagZero);
}

static LLVMMetadataRef di_array(struct cg *cg, LLVMMetadataRef elem, uint64_t esize,
				uint32_t count, uint32_t align)
{
	LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(cg->di, 0, count);
	return LLVMDIBuilderCreateArrayType(cg->di, esize * count * 8, align * 8, elem, &sub, 1);
}

/* A debug-info type of the same BTF kind as t (what libbpf compares). */
static LLVMMetadataRef di_type(struct cg *cg, const struct type *t)
{
	switch (t->kind) {
	case TY_INT:
		if (t->name && !strcmp(t->name, "enum")) {
			/* a kernel enum (see bt-check's BTF reader): an anonymous
			 * enum matches any enum of the target */
			LLVMMetadataRef e = LLVMDIBuilderCreateEnumerator(cg->di, "_", 1, 0, 1);
			return LLVMDIBuilderCreateEnumerationType(
				cg->di, cg->di_file, "", 0, cg->di_file, 0, (uint64_t)t->size * 8,
				t->size * 8, &e, 1, di_basic(cg, t->size, false));
		}
		return di_basic(cg, t->size ? t->size : 8, t->is_signed);
	case TY_PTR:
		return cg->di_ptr;
	case TY_STRING:
		return di_array(cg, LLVMDIBuilderCreateBasicType(cg->di, "char", 4, 8, 0x06,
								 LLVMDIFlagZero),
				1, t->size, 1);
	case TY_ARRAY:
		if (t->elem)
			return di_array(cg, di_type(cg, t->elem), t->elem->size, t->count,
					type_alignment(t->elem));
		break;
	case TY_RECORD:
		if (cg_core_record(t))
			return rec_of(cg, t)->temp;
		break;
	default:
		break;
	}
	return di_array(cg, di_basic(cg, 1, false), 1, t->size, 1);
}

static LLVMMetadataRef di_member(struct cg *cg, struct core_rec *r, const struct field *f)
{
	const char *n = f->name ? f->name : "";
	LLVMMetadataRef ft = di_type(cg, f->type);
	uint64_t off = (uint64_t)f->offset * 8;
	if (f->bit_width)
		return LLVMDIBuilderCreateBitFieldMemberType(
			cg->di, r->temp, n, strlen(n), cg->di_file, 0, f->bit_width,
			off + f->bit_offset, off, LLVMDIFlagZero, ft);
	uint64_t sz = f->type ? f->type->size : 0;
	return LLVMDIBuilderCreateMemberType(cg->di, r->temp, n, strlen(n), cg->di_file, 0,
					     sz * 8, 0, off, LLVMDIFlagZero, ft);
}

/* Bit offset of field fi: the order of a struct's members in BTF. */
static uint64_t field_bit_offset(const struct core_rec *r, uint32_t fi)
{
	const struct field *f = &r->t->fields[fi];
	return (uint64_t)f->offset * 8 + f->bit_offset;
}

/* Members were added in the order the program uses them; the kernel
 * refuses a BTF struct whose members go backwards ("Invalid member
 * bits_offset"), and libbpf then loads the program without its BTF (no
 * source lines in the verifier's log).  Sort each struct's members by
 * offset and renumber the member index of every access to it. */
static void sort_members(struct cg *cg)
{
	struct cg_core *c = cg->core;
	uint32_t **rank = ARENA_ARRAY(uint32_t *, c->recs.n ? c->recs.n : 1);
	for (size_t i = 0; i < c->recs.n; i++) {
		struct core_rec *r = c->recs.v[i];
		size_t n = r->fields.n;
		rank[i] = NULL;
		if (is_union(r->t) || n < 2)
			continue;
		uint32_t *old = ARENA_ARRAY(uint32_t, n);
		memcpy(old, r->fields.v, n * sizeof *old);
		for (size_t a = 1; a < n; a++) /* insertion sort: a few members */
			for (size_t b = a; b > 0 && field_bit_offset(r, r->fields.v[b - 1]) >
						       field_bit_offset(r, r->fields.v[b]); b--) {
				uint32_t t = r->fields.v[b];
				r->fields.v[b] = r->fields.v[b - 1];
				r->fields.v[b - 1] = t;
			}
		rank[i] = ARENA_ARRAY(uint32_t, n);
		for (size_t k = 0; k < n; k++)
			for (size_t j = 0; j < n; j++)
				if (r->fields.v[j] == old[k])
					rank[i][k] = (uint32_t)j;
	}
	LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "llvm.preserve.struct.access.index.p0.p0");
	if (!fn)
		return;
	for (LLVMUseRef u = LLVMGetFirstUse(fn); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef call = LLVMGetUser(u);
		LLVMValueRef md = LLVMGetMetadata(call, c->md_kind);
		for (size_t i = 0; md && i < c->recs.n; i++) {
			if (!rank[i] || md != LLVMMetadataAsValue(cg->ctx, c->recs.v[i]->temp))
				continue;
			uint64_t k = LLVMConstIntGetZExtValue(LLVMGetOperand(call, 2));
			if (k < c->recs.v[i]->fields.n)
				LLVMSetOperand(call, 2, cg_const32(cg, rank[i][k]));
			break;
		}
	}
}

void cg_core_finish(struct cg *cg)
{
	if (!cg->core)
		return;
	sort_members(cg);
	/* members may add records (nested by value): iterate by index */
	for (size_t i = 0; i < cg->core->recs.n; i++) {
		struct core_rec *r = cg->core->recs.v[i];
		size_t n = r->fields.n;
		LLVMMetadataRef *el = ARENA_ARRAY(LLVMMetadataRef, n ? n : 1);
		for (size_t k = 0; k < n; k++)
			el[k] = di_member(cg, r, &r->t->fields[r->fields.v[k]]);
		const char *nm = c_name(r->t);
		LLVMMetadataRef full =
			is_union(r->t)
				? LLVMDIBuilderCreateUnionType(cg->di, cg->di_file, nm, strlen(nm),
							       cg->di_file, 0,
							       (uint64_t)r->t->size * 8,
							       rec_align(r->t) * 8, LLVMDIFlagZero,
							       el, (unsigned)n, 0, "", 0)
				: LLVMDIBuilderCreateStructType(cg->di, cg->di_file, nm, strlen(nm),
								cg->di_file, 0,
								(uint64_t)r->t->size * 8,
								rec_align(r->t) * 8, LLVMDIFlagZero,
								NULL, el, (unsigned)n, 0, NULL, "", 0);
		LLVMMetadataReplaceAllUsesWith(r->temp, full);
		r->temp = full;
	}
}

static LLVMValueRef intrinsic(struct cg *cg, const char *name, LLVMTypeRef *over,
			      size_t nover, LLVMTypeRef *fty)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	*fty = LLVMIntrinsicGetType(cg->ctx, id, over, nover);
	return LLVMGetIntrinsicDeclaration(cg->mod, id, over, nover);
}

static void attach_md(struct cg *cg, LLVMValueRef call, LLVMMetadataRef md)
{
	LLVMSetMetadata(call, core(cg)->md_kind, LLVMMetadataAsValue(cg->ctx, md));
}

static void note_field(struct cg *cg, const struct type *rt, const struct field *f)
{
	struct meta_target *t = &cg->meta->target;
	for (size_t i = 0; i < t->core_fields.n; i++)
		if (!strcmp(t->core_fields.v[i].record, rt->name) &&
		    !strcmp(t->core_fields.v[i].field, f->name))
			return;
	struct meta_core_field cf = { .record = rt->name, .field = f->name };
	if (!f->bit_width && f->type &&
	    (f->type->kind == TY_INT || f->type->kind == TY_PTR))
		cf.size = f->type->size;
	if (cg->cur)
		cf.loc = cg->cur->loc;
	VEC_PUSH(&t->core_fields, cf);
}

LLVMValueRef cg_core_access(struct cg *cg, LLVMValueRef base, const struct type *rt, uint32_t fi)
{
	struct core_rec *r = rec_of(cg, rt);
	uint32_t di = member_index(r, fi);
	note_field(cg, rt, &rt->fields[fi]);
	LLVMTypeRef over[2] = { cg->t_ptr, cg->t_ptr }, fty;
	LLVMValueRef call;
	if (is_union(rt)) {
		LLVMValueRef fn = intrinsic(cg, "llvm.preserve.union.access.index", over, 2, &fty);
		LLVMValueRef args[2] = { base, cg_const32(cg, di) };
		call = LLVMBuildCall2(cg->b, fty, fn, args, 2, "");
	} else {
		LLVMValueRef fn = intrinsic(cg, "llvm.preserve.struct.access.index", over, 2, &fty);
		/* the GEP index is only used by targets that drop the
		 * relocation; the element type gives the record alignment */
		LLVMValueRef args[3] = { base, cg_const32(cg, 0), cg_const32(cg, di) };
		call = LLVMBuildCall2(cg->b, fty, fn, args, 3, "");
		LLVMTypeRef unit = LLVMIntTypeInContext(cg->ctx, rec_align(rt) * 8);
		LLVMTypeRef et = LLVMStructTypeInContext(cg->ctx, &unit, 1, 0);
		unsigned kind = LLVMGetEnumAttributeKindForName("elementtype", 11);
		LLVMAddCallSiteAttribute(call, 1, LLVMCreateTypeAttribute(cg->ctx, kind, et));
	}
	attach_md(cg, call, r->temp);
	return call;
}

static LLVMValueRef field_info(struct cg *cg, LLVMValueRef access, int kind)
{
	LLVMTypeRef over[1] = { cg->t_ptr }, fty;
	LLVMValueRef fn = intrinsic(cg, "llvm.bpf.preserve.field.info", over, 1, &fty);
	LLVMValueRef args[2] = { access, cg_const(cg, (uint64_t)kind) };
	LLVMValueRef v = LLVMBuildCall2(cg->b, fty, fn, args, 2, "");
	return LLVMBuildZExt(cg->b, v, cg->t_i64, "");
}

LLVMValueRef cg_core_bitfield(struct cg *cg, LLVMValueRef access, uint8_t as)
{
	LLVMValueRef size = LLVMBuildTrunc(cg->b, field_info(cg, access, FI_BYTE_SIZE),
					   cg->t_i32, "");
	LLVMValueRef tmp = cg_alloc(cg, 8);
	cg_store_int(cg, tmp, cg_const(cg, 0), 8);
	LLVMValueRef addr = LLVMBuildPtrToInt(cg->b, access, cg->t_i64, "");
	cg_probe_read(cg, tmp, size, addr, as);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->t_i64, tmp, "");
	v = LLVMBuildShl(cg->b, v, field_info(cg, access, FI_LSHIFT_U64), "");
	return LLVMBuildLShr(cg->b, v, field_info(cg, access, FI_RSHIFT_U64), "");
}

LLVMValueRef cg_core_offsetof(struct cg *cg, const struct type *rt, const char *field)
{
	const struct field *f = type_field(rt, field);
	if (!f)
		return cg_const(cg, 0);
	if (!cg_core_root(rt)) {
		cg_core_fixed_layout(cg);
		return cg_const(cg, f->offset);
	}
	LLVMValueRef null = LLVMConstNull(cg->t_ptr);
	LLVMValueRef acc = cg_core_access(cg, null, rt, (uint32_t)(f - rt->fields));
	return field_info(cg, acc, FI_BYTE_OFFSET);
}

LLVMValueRef cg_core_sizeof(struct cg *cg, const struct type *rt)
{
	if (!cg_core_root(rt)) {
		cg_core_fixed_layout(cg);
		return cg_const(cg, rt->size);
	}
	LLVMTypeRef fty;
	LLVMValueRef fn = intrinsic(cg, "llvm.bpf.preserve.type.info", NULL, 0, &fty);
	LLVMValueRef args[2] = { cg_const32(cg, core(cg)->seq++), cg_const(cg, TI_SIZE) };
	LLVMValueRef v = LLVMBuildCall2(cg->b, fty, fn, args, 2, "");
	attach_md(cg, v, rec_of(cg, rt)->temp);
	return LLVMBuildZExt(cg->b, v, cg->t_i64, "");
}

void cg_core_fixed_layout(struct cg *cg)
{
	struct meta_target *t = &cg->meta->target;
	if (t->fixed_layout)
		return;
	t->fixed_layout = true;
	if (cg->cur)
		t->fixed_loc = cg->cur->loc;
}

/* type is the int bt-check left on a folded enum constant: named ("enum
 * pid_type") and from BTF. */
bool cg_core_enum(const struct type *t)
{
	return t && t->kind == TY_INT && t->btf && t->name && !strncmp(t->name, "enum ", 5);
}

LLVMValueRef cg_core_enum_value(struct cg *cg, const struct type *et, const char *name,
				int64_t value)
{
	const char *tn = et->name + 5;
	LLVMMetadataRef en = LLVMDIBuilderCreateEnumerator(cg->di, name, strlen(name), value, 0);
	LLVMMetadataRef ty = LLVMDIBuilderCreateEnumerationType(
		cg->di, cg->di_file, tn, strlen(tn), cg->di_file, 0, 64, 64, &en, 1,
		di_basic(cg, 8, false));
	/* "NAME:VALUE", as the BPF backend reads it */
	const char *s = arena_printf("%s:%lld", name, (long long)value);
	LLVMValueRef str = LLVMAddGlobal(cg->mod, LLVMArrayType(cg->t_i8, (unsigned)strlen(s) + 1),
					 "");
	LLVMSetInitializer(str, LLVMConstStringInContext(cg->ctx, s, (unsigned)strlen(s), 0));
	LLVMSetGlobalConstant(str, 1);
	LLVMSetLinkage(str, LLVMPrivateLinkage);
	LLVMTypeRef fty;
	LLVMValueRef fn = intrinsic(cg, "llvm.bpf.preserve.enum.value", NULL, 0, &fty);
	LLVMValueRef args[3] = { cg_const32(cg, core(cg)->seq++), str, cg_const(cg, 1) };
	LLVMValueRef v = LLVMBuildCall2(cg->b, fty, fn, args, 3, "");
	attach_md(cg, v, ty);
	struct field f = { .name = name };
	note_field(cg, et, &f);
	return v;
}

/* Can LLVM relocate bit-field f of rt?  Its storage unit is read at the
 * record's alignment (at most 8 bytes); a field crossing that unit is an
 * LLVM fatal error, so it is read at the compile kernel's offsets
 * instead. */
bool cg_core_bitfield_ok(const struct type *rt, const struct field *f)
{
	uint32_t unit = rec_align(rt) * 8;
	uint64_t start = (uint64_t)f->offset * 8 + f->bit_offset;
	return f->bit_width <= unit && start / unit * unit + unit >= start + f->bit_width;
}
