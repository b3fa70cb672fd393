/* vm.h - a userspace interpreter of the BPF bytecode bt-codegen emits.
 *
 * The "bytecode-interpreting" backend of bt-load (the kernel being the
 * other): programs of BEGIN, END and interval probes run here without any
 * privilege.  Its parts, one file per concern:
 *   decode.c   raw instructions + resolved relocations -> a checked,
 *              pre-decoded program (jump targets absolute, 64-bit
 *              immediates joined, map references bound)
 *   exec.c     the execution loop (instruction budget, call frames)
 *   mem.c      memory regions: every address a program holds is a
 *              region id (high 32 bits) and an offset (low 32 bits), and
 *              every access is checked against its region's size
 *   maps.c     emulated maps: hash, LRU hash, array (their per-CPU forms
 *              with one CPU) and the ring buffer
 *   helpers.c  the BPF helpers userspace can answer truthfully; the
 *              others refuse the object before it runs (vm_helper_refusal)
 *   elf.c      a BPF ELF object's programs and relocations (libelf)
 * Errors: functions return -1 (or NULL) and leave one line in vm->err;
 * nothing here prints or exits.
 */
#ifndef BT_INTERP_VM_H
#define BT_INTERP_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_insn;

/* Regions with fixed ids; maps and map values get theirs at run time. */
enum { REGION_NONE = 0, REGION_STACK = 1, REGION_CTX = 2, REGION_FIRST_DYNAMIC = 3 };
/* Address of a callback (ld_imm64 of a function): this "region" and the
 * instruction index; outside every real region, so never readable. */
#define VM_CODE_REGION 0xfffffff0u

#define VM_STACK_FRAME 512        /* bytes of stack per call frame, as the kernel */
#define VM_MAX_FRAMES 8           /* call depth (bpf-to-bpf calls, callbacks) */
#define VM_DEFAULT_BUDGET 100000000ull  /* instructions per probe run */

struct region {
	uint8_t *base;
	uint32_t size;            /* 0: no access (freed, or a map's handle) */
	uint8_t writable;
	struct vm_map *map;       /* the map whose handle this region is, or NULL */
};

/* A decoded instruction: 16 bytes, dispatched on code. */
struct dinsn {
	uint8_t code;             /* the BPF opcode byte */
	uint8_t dst, src;
	uint8_t pad;
	int32_t off;              /* memory offset; for jumps/calls the absolute target */
	int64_t imm;              /* 64-bit for ld_imm64 (resolved address) */
};

struct vm_prog {
	char *name;
	struct dinsn *insns;
	uint32_t n;
};

/* What the helpers report to their user (bt-load): trace_printk text. */
struct vm_env {
	void (*trace_printk)(void *ctx, const char *msg, size_t n);
	void *ctx;
};

struct vm_map;

struct vm {
	struct region *regions;
	uint32_t nregions, cap_regions;
	uint32_t *free_regions;   /* ids to reuse */
	uint32_t nfree, cap_free;
	uint32_t *dead;           /* deleted during a run: freed at its end */
	uint32_t ndead, cap_dead;
	bool running;

	uint8_t stack[VM_STACK_FRAME * VM_MAX_FRAMES];
	struct vm_map **maps;
	uint32_t nmaps;
	struct vm_prog *progs;
	uint32_t nprogs;

	uint64_t budget;          /* per run */
	uint64_t left;            /* of the current run */
	uint64_t executed;        /* instructions, all runs */
	uint64_t cookie;          /* bpf_get_attach_cookie() of the current run */
	int depth;                /* call frames in use */
	uint64_t rng;             /* bpf_get_prandom_u32 state */
	uint64_t cgroup_id;       /* of this process (cgroup v2), 0 unknown */
	struct vm_env env;
	char err[512];
};

enum vm_reloc_kind {
	VM_RELOC_MAP,             /* ld_imm64: the map's handle */
	VM_RELOC_MAP_VALUE,       /* ld_imm64: address in a one-entry map's value */
	VM_RELOC_FUNC,            /* ld_imm64: a callback (insn index in the image) */
	VM_RELOC_CALL,            /* call: a bpf-to-bpf call (insn index in the image) */
};

struct vm_reloc {
	uint32_t insn;            /* index of the instruction it applies to */
	enum vm_reloc_kind kind;
	uint32_t map;             /* MAP, MAP_VALUE: vm map index */
	uint32_t target;          /* MAP_VALUE: byte offset; FUNC, CALL: insn index */
};

struct vm_map_def {
	const char *name;
	uint32_t type;            /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries;
	const void *init;         /* one-entry data maps (.rodata ...): contents */
	size_t init_size;
	bool readonly;
};

/* ---- vm (exec.c) ---- */
struct vm *vm_new(void);
void vm_free(struct vm *vm);
void vm_map_free_all(struct vm *vm);      /* maps.c: for vm_free */
/* Add a program made of n raw instructions with its relocations; its
 * index, or -1 (vm->err says why: an instruction we do not run, a jump
 * outside the program, a bad relocation...). */
int vm_add_prog(struct vm *vm, const char *name, const struct bpf_insn *insns, size_t n,
		const struct vm_reloc *r, size_t nr);
int vm_find_prog(struct vm *vm, const char *name);
/* Run program p once with the context ctx (read-only, ctx_size bytes);
 * 0 and *ret its r0, or -1: out of bounds, over budget... (vm->err names
 * the program and the instruction). */
int vm_run(struct vm *vm, int p, const void *ctx, uint32_t ctx_size, uint64_t *ret);
/* Run from insn pc of program p with r1..r5 = args (helpers' callbacks). */
int vm_call(struct vm *vm, int p, uint32_t pc, const uint64_t args[5], uint64_t *ret);

/* ---- decode.c ---- */
/* Decode and check; returns the decoded program or NULL (vm->err). */
struct dinsn *vm_decode(struct vm *vm, const char *name, const struct bpf_insn *in, size_t n,
			const struct vm_reloc *r, size_t nr);

/* ---- mem.c ---- */
uint32_t region_new(struct vm *vm, void *base, uint32_t size, bool writable);
void region_free(struct vm *vm, uint32_t id);
/* Freed now, or at the end of the run in progress. */
void region_retire(struct vm *vm, uint32_t id);
void regions_reap(struct vm *vm);
static inline uint64_t region_addr(uint32_t id, uint32_t off)
{
	return (uint64_t)id << 32 | off;
}
/* Host pointer to size bytes at addr, or NULL if they are not all inside
 * one region (or it is read-only and write is set). */
static inline uint8_t *vm_mem(struct vm *vm, uint64_t addr, uint64_t size, bool write)
{
	uint64_t id = addr >> 32;
	uint32_t off = (uint32_t)addr;
	if (id >= vm->nregions)
		return NULL;
	const struct region *g = &vm->regions[id];
	if ((uint64_t)off + size > g->size || (write && !g->writable))
		return NULL;
	return g->base + off;
}
/* The region's name for messages ("stack", "context", "map AT_x value"). */
const char *region_what(struct vm *vm, uint64_t addr, char *buf, size_t n);

/* ---- maps.c ---- */
/* Add a map; its index or -1 (an unsupported type: vm->err). */
int vm_add_map(struct vm *vm, const struct vm_map_def *d);
struct vm_map *vm_map_at(struct vm *vm, uint32_t i);
const char *vm_map_name(const struct vm_map *m);
uint32_t vm_map_key_size(const struct vm_map *m);
uint32_t vm_map_value_size(const struct vm_map *m);
uint32_t vm_map_region(const struct vm_map *m);     /* its handle's region */
bool vm_map_is_array(const struct vm_map *m);
/* Host pointer to the value of key, or NULL. */
uint8_t *vm_map_lookup(struct vm *vm, struct vm_map *m, const void *key);
/* Program address of that value (0 if none). */
uint64_t vm_map_lookup_addr(struct vm *vm, struct vm_map *m, const void *key);
int vm_map_update(struct vm *vm, struct vm_map *m, const void *key, const void *val,
		  uint64_t flags);                   /* 0 or -errno, as the kernel */
int vm_map_delete(struct vm *vm, struct vm_map *m, const void *key);
/* The key after prev (the first if prev is NULL or absent); 0 or -ENOENT. */
int vm_map_next_key(struct vm *vm, struct vm_map *m, const void *prev, void *next);
/* Visit entries in order: fn returns non-zero to stop; the count visited. */
long vm_map_each(struct vm *vm, struct vm_map *m,
		 int (*fn)(void *ctx, const void *key, uint64_t value_addr), void *ctx);
/* Ring buffer: append a record (0, or -EAGAIN when it does not fit, as
 * the kernel); pending bytes; hand records to fn in order and forget them. */
int vm_ring_output(struct vm_map *m, const void *data, uint64_t n);
uint64_t vm_ring_query(struct vm_map *m, uint64_t flags);
long vm_ring_consume(struct vm_map *m, int (*fn)(void *ctx, void *data, size_t n), void *ctx);

/* ---- elf.c ---- */
/* Add every program of the BPF ELF object buf (size bytes), linked with
 * .text and relocated; map_index(ctx, name) gives the vm index of the map
 * a .maps symbol names (-1: none).  0 or -1 (vm->err). */
int vm_load_elf(struct vm *vm, const void *buf, size_t size,
		int (*map_index)(void *ctx, const char *name), void *ctx);

/* ---- helpers.c ---- */
/* Why a call of helper id cannot be interpreted (naming the builtin that
 * uses it), or NULL when it can. */
const char *vm_helper_refusal(int id);
/* Run helper id with r[1..5]; 0 and r[0] set, or -1 (vm->err). */
int vm_helper(struct vm *vm, int p, int id, uint64_t r[11]);

#endif
