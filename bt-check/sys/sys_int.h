/* sys_int.h - private interface between the files of bt-check/sys/ (the
 * system knowledge half of bt-check).  Nothing outside bt-check/sys/
 * includes this.
 *
 * Every fact comes from a "source" named by a key (snapshot-relative path,
 * see ir-spec/snapshot.md).  Live, a key maps to a real file or to data
 * extracted from one; with a sysroot the key is read from the snapshot
 * directory; when recording, every answer is also written there.
 */
#ifndef BT_CHECK_SYS_INT_H
#define BT_CHECK_SYS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sys.h"

typedef VEC(const char *) strvec;

/* The running kernel's BTF (BPFTRACE_BTF names another file). */
#define LIVE_BTF "/sys/kernel/btf/vmlinux"

/* The expansion of one provider's attach points (sys_expand, sys.h);
 * sys/core.c dispatches to one function of this type per provider. */
typedef bool sys_expand_fn(struct sys *s, const struct attach_point *ap,
			   apvec *out, struct diags *d, struct loc loc,
			   unsigned flags);

struct btf;
struct kallsyms;
struct tp_record_info;
struct btf_module;
struct btf_funcs;

/* What we know about one ELF file (sys/elf.c). */
struct elf_sym {
	const char *name;
	uint64_t addr, size;
	char kind;            /* 'F' function, 'I' ifunc, 'O' object */
};
struct usdt_loc {
	const char *provider, *name, *args;
	uint64_t pc, sema;    /* virtual addresses (after .stapsdt.base fixup) */
	uint64_t pc_off, sema_off; /* file offsets (0: no semaphore) */
};
struct elf_info {
	const char *path;
	int etype;            /* ET_EXEC, ET_DYN, ... */
	bool exec;            /* executable by us */
	const char *build_id; /* hex of .note.gnu.build-id, NULL if none */
	VEC(struct elf_sym) syms;   /* sorted by name */
	VEC(struct usdt_loc) usdt;  /* in note order */
};

/* One recorded source: a key and either its whole content (full) or the
 * lines that answered (merged with the file's lines and sorted when
 * written). */
struct snap_entry {
	const char *key;
	strvec lines;
	bool full;
	const char *data;     /* full content (when full) */
	size_t len;
};

struct sys {
	const char *sysroot;     /* NULL: live */
	const char *snapdir;     /* non-NULL: record */
	int pid;
	const char *child_exe;   /* the -c command's program, or NULL */

	/* live tracefs root ("/sys/kernel/tracing"), NULL if none */
	const char *tracefs;
	bool tracefs_probed;

	/* available_events, sorted and unique */
	strvec events;
	bool events_loaded;

	/* BTF (lazily) */
	struct btf *btf;
	bool btf_tried;
	const char *btf_path;    /* file the BTF came from */
	struct type **btf_records; /* converted records, by BTF id */
	VEC(struct btf_module *) btf_mods; /* module BTFs (sys/btf.c) */
	strvec type_modules;     /* modules whose BTF types the program may use */
	VEC(struct btf_funcs *) btf_funcs; /* kfunc-attachable functions per BTF */

	/* kfunc/kretfunc support (sys/feature.c), decided once */
	bool kfunc_known, kfunc_ok;

	/* kallsyms (lazily) */
	struct kallsyms *ksyms;

	/* recorded path resolutions (sysroot) */
	strvec resolve_lines;
	bool resolve_loaded;

	/* uprobe binaries whose DWARF types the program may use */
	strvec user_bins;

	/* ELF files opened so far */
	VEC(struct elf_info *) elves;

	/* tracepoint args records built so far */
	VEC(struct tp_record_info *) tp_infos;

	/* kernel header directories in use (live), for the snapshot */
	const char *kh_src, *kh_build;

	/* snapshot being recorded */
	VEC(struct snap_entry *) snap;
};

/* ---- sys/snapshot.c: sources ---- */

/* Whole content of a text source (NULL if absent); *len set if non-NULL.
 * live_path: the real file to read when live.  Records it in full. */
char *sys_src_read(struct sys *s, const char *key, const char *live_path,
		   size_t *len);
/* Record one line of a line-oriented source (subset recording). */
void sys_src_note_line(struct sys *s, const char *key, const char *line);
/* Record a whole source (already read or computed). */
void sys_src_note_full(struct sys *s, const char *key, const char *data,
		       size_t len);
/* Read a source from the sysroot only (NULL if absent). */
char *sys_snap_read(struct sys *s, const char *key, size_t *len);
/* Path of a key inside the sysroot. */
const char *sys_snap_path(struct sys *s, const char *key);
/* Write everything recorded (sys_close). */
int sys_snap_write(struct sys *s);

/* Split text into lines (arena strings, newline removed). */
void sys_split_lines(const char *text, strvec *out);
/* Read a whole file (arena, NUL added); NULL on error. */
char *sys_read_file(const char *path, size_t *len);
void sys_sort_unique(strvec *v);

/* ---- sys/tracefs.c ---- */
const char *sys_tracefs(struct sys *s);
sys_expand_fn sys_expand_tracepoint;
sys_expand_fn sys_expand_rawtracepoint;
/* Print "-lv" fields of a tracepoint. */
void sys_tp_list_fields(struct sys *s, const char *cat, const char *ev,
			FILE *out);

/* ---- sys/btf.c ---- */
struct btf *sys_btf(struct sys *s);
sys_expand_fn sys_expand_kfunc;
/* Kernel types not in vmlinux are looked up in this module's BTF too
 * (kfunc modules, tracepoint categories), as bpftrace does. */
void sys_btf_use_module(struct sys *s, const char *module);
sys_expand_fn sys_expand_iter;
void sys_btf_list_kfunc(struct sys *s, const char *module, const char *func,
			FILE *out);
void sys_btf_list_iter(struct sys *s, const char *name, FILE *out);
int sys_btf_list_types(struct sys *s, const char *pattern, bool verbose,
		       FILE *out);

/* ---- sys/kallsyms.c ---- */
sys_expand_fn sys_expand_kprobe;
/* Modules of a kernel function ("vmlinux" or the [module]), sorted. */
void sys_kernel_func_modules(struct sys *s, const char *func, strvec *out);
/* "module:func" of traceable functions matching "modglob:funcglob". */
void sys_kernel_mod_funcs(struct sys *s, const char *pattern, strvec *out);

/* ---- sys/elf.c ---- */
/* The ELF file at path (cached, recorded); NULL if it is not an ELF file. */
struct elf_info *sys_elf(struct sys *s, const char *path);
/* First symbol of that name, NULL if none. */
const struct elf_sym *sys_elf_find(const struct elf_info *e, const char *name);

/* ---- sys/uprobe.c ---- */
void sys_mapped_paths(struct sys *s, int pid, strvec *out);
const char *sys_user_target(struct sys *s, const struct attach_point *ap);
bool sys_user_targets(struct sys *s, const struct attach_point *ap,
		      const char *what, strvec *out, struct diags *d,
		      struct loc loc, unsigned flags);
const char *sys_demangle(const char *sym);
sys_expand_fn sys_expand_uprobe;
sys_expand_fn sys_expand_watchpoint;

/* ---- sys/dwarf.c ---- */
/* -lv lines of a function's parameters; false if the binary has no DWARF. */
bool sys_dwarf_list_params(struct sys *s, const char *path, const char *func,
			   FILE *out);
/* Make the DWARF types of a uprobe binary visible to sys_kernel_type. */
void sys_dwarf_note_binary(struct sys *s, const char *path);
/* A named type from the DWARF of the noted binaries (NULL if none). */
struct type *sys_dwarf_type(struct sys *s, const char *name);

/* ---- sys/usdt.c ---- */
sys_expand_fn sys_expand_usdt;

/* ---- sys/perf.c ---- */
sys_expand_fn sys_expand_perf;

/* ---- helpers (sys/core.c) ---- */
struct attach_point *sys_ap_copy(const struct attach_point *ap);
/* Is name in v, sorted by strcmp? (binary search) */
bool sys_sorted_has(const strvec *v, const char *name);

#endif
