/* type.h - bpftrace's SizedType (docs/bpftrace-compat.md "Types"), shared by
 * every stage.
 *
 * Types are arena-allocated and treated as immutable once built.  The
 * msgpack form is in ir-spec/ir.md ("Types").  Records reached through a
 * pointer are encoded by name and size only (this breaks cycles such as
 * task_struct -> task_struct *); records held by value carry their fields.
 */
#ifndef BT_TYPE_H
#define BT_TYPE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum type_kind {
	TY_NONE,
	TY_INT,       /* bits 1 (bool),8,16,32,64; is_signed */
	TY_PTR,       /* elem = pointee; as */
	TY_RECORD,    /* name "struct foo"; fields; size */
	TY_ARRAY,     /* elem, count */
	TY_STRING,    /* size bytes, NUL padded */
	TY_BUFFER,    /* {u8 len; u8 data[size-1]} */
	TY_TUPLE,     /* fields (names NULL), C struct layout */
	TY_COUNT,
	TY_SUM,
	TY_MIN,
	TY_MAX,
	TY_AVG,
	TY_STATS,
	TY_HIST,
	TY_LHIST,
	TY_KSTACK,    /* u64 stack id */
	TY_USTACK,    /* {u64 stack id; u32 pid; u32 probe id} */
	TY_KSYM,      /* u64 address */
	TY_USYM,      /* {u64 addr; u64 pid; u64 probe id} */
	TY_PROBE,     /* u64 index into meta probe names */
	TY_USERNAME,  /* u64 uid */
	TY_INET,      /* {u64 af; u8 addr[16]} */
	TY_TIMESTAMP, /* {u32 strftime id; u32 mode; u64 ns} */
	TY_MACADDR,   /* 6 bytes */
	TY_CGROUP_PATH, /* {u64 cgroup_path id; u64 cgroup id} */
	TY_STRERROR,  /* u64 errno */
	TY_STACK_MODE,
	TY_TS_MODE,
	TY__COUNT
};

enum addrspace { AS_NONE, AS_KERNEL, AS_USER };
enum stack_mode { STACK_BPFTRACE, STACK_PERF, STACK_RAW };
enum ts_mode { TS_BOOT, TS_MONOTONIC, TS_TAI, TS_SW_TAI };

struct type;

struct field {
	const char *name;   /* NULL for tuple elements */
	uint32_t offset;    /* bytes */
	struct type *type;
	uint16_t bit_offset, bit_width; /* bit_width 0: not a bitfield */
};

struct type {
	enum type_kind kind;
	uint32_t size;        /* bytes (bool: 1, printed "unsigned int0") */
	uint8_t bits;         /* TY_INT: 1, 8, 16, 32, 64 */
	bool is_signed;       /* TY_INT and aggregations (sum/min/max) */
	uint8_t as;           /* enum addrspace */
	bool ctx;             /* points into the BPF context */
	bool is_tparg;        /* tracepoint args record */
	bool is_funcarg;      /* kfunc/uprobe args record */
	uint8_t stack_mode;   /* TY_KSTACK/TY_USTACK */
	uint16_t stack_limit;
	uint8_t ts_mode;      /* TY_TIMESTAMP */
	struct type *elem;    /* TY_PTR pointee, TY_ARRAY element */
	uint32_t count;       /* TY_ARRAY elements */
	const char *name;     /* TY_RECORD: "struct foo" / "union u" / typedef */
	uint32_t nfields;
	struct field *fields; /* TY_RECORD, TY_TUPLE */
	uint32_t align;       /* TY_TUPLE/TY_RECORD alignment (0: natural) */
	bool incomplete;      /* TY_RECORD known by name only */
	bool btf;             /* TY_RECORD laid out by the kernel's BTF: its
				 field offsets are the build host's, so
				 bt-codegen relocates accesses (CO-RE) */
};

/* Constructors (arena-allocated; type_none, and type_int and type_bool of
 * the usual widths, return one shared type: clone a type before changing
 * it). */
struct type *type_new(enum type_kind kind, uint32_t size);
struct type *type_none(void);
struct type *type_int(int bits, bool is_signed);
/* Childless types are shared by their fields: hash and equality of those
 * fields (type.c's table; the stream decoder's, codec.c). */
uint64_t type_leaf_hash(const struct type *t);
bool type_leaf_equal(const struct type *a, const struct type *b);
struct type *type_bool(void);
struct type *type_string(uint32_t size);
struct type *type_buffer(uint32_t size);   /* size includes the length byte */
struct type *type_ptr(struct type *elem, enum addrspace as);
struct type *type_array(struct type *elem, uint32_t count);
struct type *type_record(const char *name);  /* incomplete until fields set */
/* Tuple of n element types, laid out per "Types" (offsets, size, align). */
struct type *type_tuple(struct type **elems, uint32_t n);
struct type *type_stack(bool user, enum stack_mode mode, uint16_t limit);
struct type *type_clone(const struct type *t);
/* One shared copy of a type without children (no elem, fields or name),
 * for the types every expression gets again on each pass; a type with
 * children is cloned. */
struct type *type_shared(const struct type *t);

/* Properties. */
bool type_is_int(const struct type *t);
bool type_is_aggregation(const struct type *t); /* count..lhist */
bool type_is_byte_array(const struct type *t);  /* string, usym, ustack, inet, buffer, timestamp, macaddr, cgroup_path */
bool type_is_aggregate(const struct type *t);   /* byte arrays + array + tuple + record */
uint32_t type_alignment(const struct type *t);  /* LLVM-struct alignment */
bool type_equal(const struct type *a, const struct type *b);
const struct field *type_field(const struct type *t, const char *name);

/* bpftrace's printed form ("int64", "unsigned int32", "string[16]", "int32 *",
 * "(int64,string[4])", "struct foo", "hist" ...) into an arena string. */
const char *type_str(const struct type *t);
const char *type_kind_name(enum type_kind k);

#endif
