/* meta.h - program metadata: what bt-check decides about a program that
 * later stages need besides the tree itself.
 *
 * bt-check produces it (in the ir stream), bt-codegen copies it into the
 * obj stream (adding nothing it did not get), bt-load copies it into the
 * out stream header so that bt-fmt can format a saved stream anywhere.
 * Format: ir-spec/ir.md ("Metadata").
 */
#ifndef BT_META_H
#define BT_META_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "node.h"
#include "type.h"

/* Async event ids (first u64 of every ring buffer record),
 * docs/bpftrace-compat.md "Event records". */
enum async_id {
	ASYNC_PRINTF_BASE = 0,
	ASYNC_SYSTEM_BASE = 10000,
	ASYNC_CAT_BASE = 20000,
	ASYNC_EXIT = 30000,
	ASYNC_PRINT = 30001,          /* {u64 id; u32 map_id; u32 top; u32 div} */
	ASYNC_CLEAR = 30002,          /* {u64 id; u32 map_id} */
	ASYNC_ZERO = 30003,           /* {u64 id; u32 map_id} */
	ASYNC_TIME = 30004,           /* {u64 id; u32 time_id} */
	ASYNC_JOIN = 30005,           /* {u64 id; u64 join_id; char args[16][1024]} */
	ASYNC_HELPER_ERROR = 30006,   /* {u64 id; u64 error_id; i32 retcode} */
	ASYNC_PRINT_NON_MAP = 30007,  /* {u64 id; u64 print_id; u8 content[]} */
	ASYNC_WATCHPOINT_ATTACH = 30009,
	ASYNC_WATCHPOINT_DETACH = 30010,
	ASYNC_SKBOUTPUT = 30011,
};

struct meta_map {
	const char *name;       /* "@x", "@" */
	uint32_t id;            /* index in meta.maps (names sorted bytewise) */
	struct type *value;     /* value type: TY_COUNT.., or the stored type */
	uint32_t nkeys;         /* 0: keyless */
	struct type **keys;     /* key component types, packed back to back */
	uint32_t key_size;      /* packed key bytes (8 when keyless), without the
				   u64 bucket suffix of hist/lhist/avg/stats */
	int hist_bits;          /* hist: k */
	int64_t lh_min, lh_max, lh_step; /* lhist */
};

struct meta_attach {
	struct attach_point *ap; /* concrete: no wildcard left */
	const char *name;        /* value of `probe`, e.g. "tracepoint:syscalls:sys_enter_read" */
	uint64_t cookie;         /* value returned by bpf_get_attach_cookie() */
};

/* One BPF program: a probe block, or one copy of it when the block needs a
 * program per attach point.  Matches the N_PROBE node with num == index. */
struct meta_probe {
	uint32_t index;
	enum probe_type type;
	const char *name;        /* the block's probe name (joined) */
	const char *prog;        /* BPF function name in the object */
	uint32_t nattach;
	struct meta_attach *attach;
	bool expand;             /* the block reads `probe`: bpftrace attaches
				  * each attach point alone, never through a
				  * uprobe_multi/kprobe_multi link */
};

struct meta_arg {
	struct type *type;
	uint32_t offset;         /* in the event record (id is at 0) */
};

/* printf / system / cat / debugf formats: the record is {u64 id; args...} */
struct meta_fmt {
	const char *fmt;
	uint32_t nargs;
	struct meta_arg *args;
	uint32_t size;           /* total record size */
};

struct meta_helper_error {
	const char *func;        /* helper name without bpf_: "probe_read" */
	struct loc loc;
};

/* skboutput(path, skb, len, offset) call, by call id: its pcap file and
 * how many leading bytes of each packet to leave out. */
struct meta_skboutput {
	const char *path;
	uint64_t offset;
};

/* Where the program first calls helper `id` (a kernel that refuses the
 * helper in this probe is reported at that call). */
struct meta_helper_loc {
	uint32_t id;
	struct loc loc;
};

/* What the object was compiled against and what it assumes of the kernel
 * it will run on (ir-spec/obj.md "Target"); bt-load verifies it before
 * loading (bt-load/target_check.c). */
struct meta_core_field {   /* a CO-RE relocated kernel-type access (bt-codegen) */
	const char *record;    /* "struct task_struct" */
	const char *field;     /* "pid" */
	uint32_t size;         /* bytes the program reads as the field; 0: any */
	struct loc loc;        /* first use */
};

struct meta_layout_field {
	const char *name;
	uint32_t offset, size;
};

/* A context layout the program reads and CO-RE cannot relocate: a
 * tracepoint's format fields ("syscalls:sys_enter_openat"), or a kfunc's
 * argument slots ("vmlinux:vfs_read"; offset = 8 x parameter index,
 * `$retval` after the last parameter). */
struct meta_layout {
	const char *name;
	VEC(struct meta_layout_field) fields;
};

struct meta_binary {       /* a traced binary (uprobe, usdt target) */
	const char *path;
	const char *build_id;  /* hex of its GNU build id */
};

struct meta_target {
	const char *release;   /* kernel release bt-check read; NULL: unknown */
	const char *btf;       /* identity of the kernel BTF it read ("<bytes>:<fnv1a64>"); NULL: none */
	const char *snapshot;  /* the --sysroot snapshot, NULL for the live system */
	/* GNU build id of the running kernel whose BTF typed the program
	 * (kernel_id.h), NULL unless all of its kernel types came from it */
	const char *kernel_build_id;
	VEC(struct meta_layout) tracepoints;
	VEC(struct meta_layout) kfuncs;
	VEC(struct meta_binary) binaries;   /* uprobe/usdt offsets and specs come from these */
	VEC(struct meta_core_field) core_fields;
	/* bt-codegen: a kernel-type layout used without relocation (a record
	 * copied by value): only the compile kernel's BTF can run it */
	bool fixed_layout;
	struct loc fixed_loc;
};

struct meta_config {
	uint64_t max_strlen;        /* 64 */
	const char *str_trunc_trailer; /* ".." */
	uint8_t stack_mode;         /* enum stack_mode */
	bool cpp_demangle;          /* 1 */
	uint64_t perf_rb_pages;     /* 64 */
	uint64_t max_cat_bytes;     /* 10240 */
	uint64_t max_map_keys;      /* 4096 */
	uint64_t max_probes;        /* 512 */
	uint64_t max_bpf_progs;     /* 512 */
	uint64_t log_size;          /* 1000000 */
	const char *cache_user_symbols; /* "PER_PID" / "PER_PROGRAM" / "NONE" */
	bool unsafe;                /* --unsafe given */
	int helper_check_level;     /* -k: 1, -kk: 2 */
	bool no_warnings;           /* --no-warnings: later stages stay quiet too */
};

struct meta {
	VEC(struct meta_map) maps;
	VEC(struct meta_probe) probes;
	VEC(struct meta_fmt) printfs, systems, cats;
	VEC(const char *) time_fmts;     /* time() formats by id */
	VEC(const char *) join_delims;   /* join() delimiters by id */
	VEC(const char *) strftime_fmts; /* strftime() formats by id */
	VEC(const char *) cgroup_filters;/* cgroup_path() filters by id */
	VEC(const char *) probe_names;   /* `probe` builtin values by id */
	VEC(struct type *) print_types;  /* print(value) types by id */
	VEC(struct meta_helper_error) helper_errors;
	VEC(struct meta_skboutput) skboutputs;      /* by call id (bt-codegen) */
	VEC(struct meta_helper_loc) helper_locs;    /* first call per helper (bt-codegen) */
	struct meta_config cfg;
	struct meta_target target;
};

/* meta_target.c: the "target" pair of the metadata map. */
void meta_target_encode(msgpack_packer *pk, const struct meta_target *t);
void meta_target_decode(struct mp_err *err, const msgpack_object *o, struct meta_target *t);
/* Add a field the program reads to layout `name` of list (t->tracepoints
 * or t->kfuncs; deduplicated). */
void meta_target_add_field(void *list, const char *name, const char *field, uint32_t offset,
			   uint32_t size);

void meta_config_defaults(struct meta_config *cfg);
struct meta_map *meta_find_map(struct meta *m, const char *name);

/* Write the metadata as one key/value pair "meta": {...} of the caller's
 * record map; types go through the encoder's type table. */
void meta_encode(struct codec_enc *e, msgpack_packer *pk, const struct meta *m);
/* Types referenced by the metadata must be registered before
 * enc_write_tables; call this first. */
void meta_register_types(struct codec_enc *e, const struct meta *m);
/* Decode from the record's "meta" value (types from d). */
bool meta_decode(struct codec_dec *d, const msgpack_object *o, struct meta *m);
/* The same from the stream: the metadata value next in r, its maps,
 * probes and formats tables decoded an entry at a time (a program of
 * 100,000 probes is never a msgpack-c tree); d's types must be decoded
 * already.  False with d->err set. */
bool meta_decode_stream(struct codec_dec *d, struct mpr *r, struct meta *m);

/* Write a whole ir stream (header, the program record with the tree and
 * the metadata, end) to fd.  0, -ENOMEM, or -EIO when a write failed. */
struct source;
/* The largest program record of an ir stream: decoded, a record takes 3
 * to 4 times its bytes (256 MiB: ~185,000 one-line probe blocks of 1.4 KiB
 * of ir each, a 900,000-line block), ir-spec/ir.md "Limits".  bt-check
 * refuses to write a bigger one (ir_write), bt-codegen to read one. */
#define IR_MAX_PROGRAM_RECORD (256u << 20)

/* Write the ir stream of a checked program: 0, -errno, or -EFBIG when its
 * program record would pass IR_MAX_PROGRAM_RECORD (the stream then ends
 * there, without its end record). */
int ir_write(int fd, const struct source *src, struct node *root, const struct meta *m);

#endif
