/* load.h - bt-load's internal API: the run state shared by its parts.
 *
 * One struct bt (the session) is created by main.c and passed to every
 * part.  Parts, in the order a run uses them:
 *   main.c        options, reading the obj stream, the run's steps
 *   obj_check.c   refuse malformed, lying or (without --unsafe) unsafe
 *                 objects before anything is loaded; btf_check.c: BTF
 *                 that would crash libbpf
 *   target_check.c  can this kernel run it; core_local.c: no CO-RE
 *                 relocation on the compile kernel's own build
 *   load.c        open the ELF with libbpf, size maps, set bt_cpid, load,
 *                 run BEGIN/END with BPF_PROG_TEST_RUN
 *   attach.c      attach every probe of meta.probes (order, counting,
 *                 parallel detach); per family: attach_tp.c (tracepoint,
 *                 rawtracepoint), attach_uprobe.c (uprobe, uretprobe,
 *                 uprobe_multi, usdt), attach_perf.c (profile, interval,
 *                 software, hardware, watchpoints), attach_kernel.c
 *                 (kprobe, iter), attach_kfunc.c (kfunc, kretfunc)
 *   ringbuf.c     event loop: poll ring buffer, dispatch async events
 *   skboutput.c   skboutput(): perf buffers into pcap files
 *   out.c         the `out` stream writer (ir-spec/out.md), flush policy
 *   maps_dump.c   read/clear/zero user maps, write `map` records
 *   actions.c     system(), cat(), time()
 *   symbols.c     ksym/usym/stack/username/cgroup records for values
 *   ksyms.c       kernel symbols (/proc/kallsyms, compact, lazy)
 *   elfsym.c      ELF function symbols and segments
 *   insn_boundary.c  is a uprobe offset on an instruction boundary?
 *   child.c       -c child and -p process
 *   signals.c     SIGINT/SIGTERM/SIGUSR1/SIGCHLD/SIGPIPE handling
 *   info.c        --info
 *   interp.c      --interpret: the programs run in the userspace
 *                 interpreter (interp/) instead of the kernel
 *   mapio.c       map entries, from the kernel or the interpreter
 * Errors: functions return 0 / -1 (or false) after printing one
 * `ERROR: ...` line through bt_error(); only main() exits.
 */
#ifndef BT_LOAD_H
#define BT_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "meta.h"
#include "mp.h"
#include "strindex.h"

struct bpf_object;
struct bpf_program;
struct bpf_link;
struct bpf_map;
struct ring_buffer;
struct vm;
struct vm_map;

enum buf_mode { BUF_LINE, BUF_FULL, BUF_NONE };

struct opts {
	const char *input;        /* obj file, "-" = stdin */
	const char *child_cmd;    /* -c */
	pid_t pid;                /* -p */
	int verbose;              /* -v count */
	enum buf_mode bufmode;    /* -B */
	bool usdt_file_activation;
	bool no_warnings;
	pid_t reader_pid;         /* --reader-pid: waited for before exiting */
	bool unsafe;              /* --unsafe: the operator allows unsafe actions */
	const char *host_name;    /* --host-name: this machine's name in the stream */
	bool no_kprobe_multi, no_uprobe_multi;  /* --no-feature */
	bool interpret;           /* --interpret: run in the userspace interpreter */
};

/* One attachment we hold (to detach at the end). */
struct held {
	struct bpf_link *link;
	int fd;                   /* a raw fd to close instead (perf event), or -1 */
	int pfd;                  /* our perf event under link (to disable), or -1 */
	bool perf_event;          /* link attached through a perf event (slow detach) */
	uint64_t wp_addr;         /* watchpoint address (unwatch), 0 otherwise */
	uint32_t probe;           /* index into meta.probes */
};

/* A watchpoint set up at run time by a func+argN setup probe. */
struct wp_pending {
	uint32_t probe, attach;
	uint64_t addr;
};

/* One BPF ELF object of the stream: a program one object cannot hold is
 * written as several (ir-spec/obj.md), loaded in order; a map declared
 * in several is created by the first and reused by the others. */
struct part {
	void *elf;               /* our copy: core_local.c may edit it */
	size_t size;
	struct bpf_object *obj;
};

struct bt {
	struct opts o;
	struct source src;
	struct meta meta;
	struct part *parts;
	uint32_t nparts;

	struct strindex progs;            /* program name -> struct bpf_program */
	struct strindex maps;             /* map name -> the struct bpf_map created */
	struct bpf_map **user_maps;       /* by meta map id; NULL if absent */
	struct bpf_map *ringbuf_map, *loss_map, *elapsed_map;
	VEC(struct held) held;
	VEC(struct wp_pending) wps;
	bool *multi;                      /* by probe: attached through multi links
					   * (uprobe_multi per binary, kprobe_multi) */

	/* run state */
	pid_t child;                      /* -c child, 0 if none */
	const char *child_path;           /* its executable (PATH resolved) */
	int child_go_fd;                  /* write end releasing the child */
	bool child_exited;
	int child_status;
	pid_t target_pid;                 /* -p pid or the child, 0 if none */
	bool uses_usyms;                  /* printed values hold user symbols */
	int ncpus;                        /* possible CPUs (per-CPU values) */
	uint64_t lost_seen;
	uint64_t nofile_need;             /* descriptors the objects need (load.c) */
	uint32_t batch;                   /* records handled in this poll round */
	bool finalize;                    /* exit() event or signal */
	bool out_broken;                  /* stdout write failed (EPIPE) */
	int exit_code;

	struct mp_out *out;
	struct vm *vm;                    /* the interpreter (--interpret), or NULL */
};

/* ---- main.c ---- */
/* The obj stream's "types" and "meta", encoded, for the out header. */
const void *hdr_types_buf(size_t *n);
const void *hdr_meta_buf(size_t *n);
void bt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* btf_check.c: false (with a reason) if the object's .BTF would make
 * libbpf read out of bounds. */
bool btf_check(void *elf, size_t size, char *why, size_t whylen);
/* elf_image.c: call fn on the bytes of each section named NAME of the ELF
 * object ELF (stopping when fn returns false); the number of sections
 * visited, -1 for a malformed object or such a section without bytes in
 * the image. */
int elf_image_sections(void *elf, size_t size, const char *name,
		       bool (*fn)(uint8_t *data, size_t len, void *arg), void *arg);
void bt_warn(struct bt *bt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- obj_check.c ---- */
/* Refuse a malformed object, one whose metadata does not match its code,
 * or one using an unsafe capability without --unsafe (reported). */
int obj_check(struct bt *bt);
/* A program of the metadata (a probe's, or a watchpoint's setup program):
 * only those are loaded. */
bool obj_prog_declared(struct bt *bt, const char *name);

/* ---- target_check.c ---- */
/* Can this kernel run the object correctly (features, probe targets,
 * relocated fields, tracepoint formats)?  0, or -1 after one error. */
int target_check(struct bt *bt);
/* core_local.c: empty the object's CO-RE records (it was typed against
 * this very kernel build, so none would change anything); true if it had
 * some. */
bool core_drop_relocations(void *elf, size_t size);

/* ---- load.c ---- */
int open_object(struct bt *bt);              /* open, configure (sizes, cpid...) */
int load_object(struct bt *bt);              /* load into the kernel */
/* A verifier log refusing a helper in this probe: reported as bpftrace
 * does (at the helper's first call in the program), true; else false. */
bool report_helper_refused(struct bt *bt, const char *log);
int run_special(struct bt *bt, enum probe_type which); /* BEGIN / END */
void load_close(struct bt *bt);
struct bpf_program *prog_of(struct bt *bt, uint32_t probe);
struct bpf_program *prog_by_name(struct bt *bt, const char *name);   /* or NULL */
/* A map of the objects by ELF name (the one created), or NULL. */
struct bpf_map *map_by_name(struct bt *bt, const char *name);
const char *prog_section(struct bt *bt, uint32_t probe);

/* ---- insn_boundary.c ---- */
enum insn_place { INSN_START, INSN_MIDDLE, INSN_UNKNOWN };
/* Where offset falls in code[0..n), the function's bytes from its start. */
enum insn_place insn_place(const uint8_t *code, size_t n, uint64_t offset);

/* ---- attach.c ---- */
uint32_t count_probes(struct bt *bt);
int attach_all(struct bt *bt);               /* 0 or -1 (already reported) */
bool attach_should_stop(struct bt *bt);      /* exit() or a signal so far */
void detach_all(struct bt *bt);
/* Stop the perf events we opened at once (exit(): no more firings while
 * the slower detach is still to come). */
void quiesce(struct bt *bt);
void hold_link(struct bt *bt, uint32_t probe, struct bpf_link *l);
void hold_perf_link(struct bt *bt, uint32_t probe, struct bpf_link *l);
/* Detach and close what h holds (link, or perf event / raw fd). */
void held_release(struct held *h);
/* Attach point a of p is one match of a wildcard (its failure is skipped). */
bool from_wildcard(const struct meta_probe *p, uint32_t a);
/* Report why attach point a of probe p failed: an ERROR, or for one match
 * of a wildcard a WARNING "..., skipping." (the run goes on).  Returns -2. */
int attach_fail(struct bt *bt, uint32_t p, uint32_t a, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void hold_fd(struct bt *bt, uint32_t probe, int fd, uint64_t wp_addr);

/* Per-family attachers: attach probe p, attach point a.  0, -1 (the
 * caller reports "Error attaching probe: NAME") or -2 (reported). */
int attach_tracepoint(struct bt *bt, uint32_t p, uint32_t a);
int attach_rawtp(struct bt *bt, uint32_t p, uint32_t a);
int attach_rawtp_section(struct bt *bt, uint32_t p, const char *tp);
int attach_uprobe(struct bt *bt, uint32_t p, uint32_t a);
/* uprobe_multi: mark wildcard uprobe probes before load; attach them. */
void uprobe_multi_prepare(struct bt *bt);
int attach_uprobe_multi(struct bt *bt, uint32_t p);
uint32_t uprobe_multi_count(struct bt *bt, uint32_t p);
int attach_usdt(struct bt *bt, uint32_t p, uint32_t a);
int attach_perf(struct bt *bt, uint32_t p, uint32_t a);
int attach_watchpoint(struct bt *bt, uint32_t p, uint32_t a);
int watchpoint_event(struct bt *bt, uint64_t idx, uint64_t addr);
void unwatch(struct bt *bt, uint64_t addr);
int attach_kprobe(struct bt *bt, uint32_t p, uint32_t a);
/* kprobe_multi: can this kernel attach such links?  Mark the probes that
 * are kprobe wildcards only, before load; count and attach their links. */
bool kprobe_multi_supported(void);
void kprobe_multi_prepare(struct bt *bt);
uint32_t kprobe_multi_count(struct bt *bt, uint32_t p);
int attach_kprobe_multi(struct bt *bt, uint32_t p);
int attach_kfunc(struct bt *bt, uint32_t p, uint32_t a);
int attach_iter(struct bt *bt, uint32_t p, uint32_t a);
int run_iters(struct bt *bt);                /* read iterators to EOF */

/* ---- out.c ---- */
void out_begin(struct bt *bt);               /* header */
void out_attached(struct bt *bt, uint32_t n);
void out_event(struct bt *bt, const void *data, size_t size);
/* Records written from now on happened about now: the next record is
 * preceded by a `clock` record (once per batch, not per event). */
void out_clock_mark(struct bt *bt);
void out_stamp(struct bt *bt);   /* write the pending clock record, if any */
void out_text(struct bt *bt, const char *kind, const void *data, size_t n);
void out_lost(struct bt *bt, uint64_t n);
void out_error(struct bt *bt, const char *msg);
void out_simple(struct bt *bt, const char *t); /* {"t": t} */
void out_child(struct bt *bt);
void out_end(struct bt *bt);
void out_hold(struct bt *bt);                /* keep records back ... */
void out_release(struct bt *bt);             /* ... until this */
void out_record_done(struct bt *bt);         /* maybe flush (-B none) */
void out_batch_done(struct bt *bt);          /* after a poll round */
int out_flush(struct bt *bt);
void out_wait_reader(struct bt *bt);         /* until bt-fmt read it all */

/* ---- ringbuf.c ---- */
int events_open(struct bt *bt);
int events_poll(struct bt *bt, int timeout_ms); /* records handled or -errno */
int events_epoll_fd(void);
void events_drain(struct bt *bt);
void events_discard(struct bt *bt);

/* ---- skboutput.c ---- */
/* Open the pcap files and the perf buffers skboutput() writes into (adds
 * them to the event loop's epoll fd); 0 when the program has none. */
int skb_open(struct bt *bt, int epfd);
void skb_consume(void);   /* write the packets that arrived */
void skb_close(void);     /* the last packets, then close the files */
int event_loop(struct bt *bt);

/* ---- maps_dump.c ---- */
int map_print(struct bt *bt, uint32_t id, uint32_t top, uint32_t div);
int map_clear(struct bt *bt, uint32_t id);
int map_zero(struct bt *bt, uint32_t id);
int maps_print_all(struct bt *bt);

/* ---- actions.c ---- */
void action_system(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n);
void action_cat(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n);
void action_time(struct bt *bt, uint32_t id);

/* ---- symbols.c ---- */
/* Write the sym/stack/username/cgroup records a value of type t (bytes p)
 * needs, if not written before. */
void sym_prepare(struct bt *bt, const struct type *t, const uint8_t *p, size_t n);
void sym_prepare_fmt(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n);
bool type_needs_syms(const struct type *t);
/* ksym name of a kernel address (NULL if unknown); *off gets the offset.
 * The name is valid until the next call. */
const char *ksym_lookup(uint64_t addr, uint64_t *off);
void ksyms_preload(void);                    /* start loading in a thread */
/* A kernel function's size up to the next symbol (false: not found). */
bool ksym_func_size(const char *name, uint64_t *size);
bool meta_uses_ksyms(const struct meta *m);
bool meta_uses_usyms(const struct meta *m);
void usym_watch(struct bt *bt);              /* keep the target's maps fresh */
const char *usym_lookup(struct bt *bt, pid_t pid, uint64_t addr, uint64_t *off,
			const char **module);

/* ---- elfsym.c ---- */
struct elfsyms;
struct elfsyms *elfsyms_get(const char *path);  /* cached; NULL if unreadable */
/* Symbol containing vaddr; NULL if none. */
const char *elfsyms_addr(struct elfsyms *s, uint64_t vaddr, uint64_t *off);
/* Symbol by name: vaddr and size; false if absent. */
bool elfsyms_name(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size);
/* File offset of an ELF virtual address (PT_LOAD), or (uint64_t)-1. */
uint64_t elfsyms_file_offset(struct elfsyms *s, uint64_t vaddr);
/* Virtual address of a file offset (PT_LOAD), or (uint64_t)-1. */
uint64_t elfsyms_vaddr_of_offset(struct elfsyms *s, uint64_t off);
/* Up to n bytes of the file at virtual address vaddr; bytes read, or -1. */
ssize_t elfsyms_read(struct elfsyms *s, uint64_t vaddr, void *buf, size_t n);
bool elfsyms_is_pie(struct elfsyms *s);

/* ---- child.c ---- */
int child_spawn(struct bt *bt);              /* fork, stopped until child_release */
int child_release(struct bt *bt);
void child_reap(struct bt *bt);              /* non-blocking: notice exit */
void child_kill(struct bt *bt);
bool target_alive(struct bt *bt);            /* -p process still there */
/* The binary of the traced process (the -c command or /proc/PID/exe for
 * -p), for probes whose attach point names none; NULL if neither. */
const char *target_binary(struct bt *bt, char *buf, size_t n);
int wait_reader(pid_t pid);   /* its wait status; 0 if none */

/* ---- signals.c ---- */
extern volatile int sig_stop;                /* SIGINT/SIGTERM received */
extern volatile int sig_usr1;
extern volatile int sig_chld;
void signals_init(void);
void signals_child_defaults(void);           /* in forked children */
void signals_child_set(sigset_t *set);       /* ... the signals it resets */

/* ---- mapio.c: 0 or -errno ---- */
int mapio_lookup(struct bt *bt, struct bpf_map *m, const void *key, void *val);
int mapio_update(struct bt *bt, struct bpf_map *m, const void *key, const void *val,
		 uint64_t flags);
int mapio_delete(struct bt *bt, struct bpf_map *m, const void *key);
int mapio_next_key(struct bt *bt, struct bpf_map *m, const void *prev, void *next);

/* ---- interp.c ---- */
int interp_check(struct bt *bt);             /* refuse what needs the kernel */
int interp_load(struct bt *bt);              /* sets bt->vm */
int interp_run_special(struct bt *bt, enum probe_type which);
int interp_attach_all(struct bt *bt, int epfd);
void interp_detach_all(struct bt *bt);
/* fd is one of our interval timers: its probe ran (true). */
bool interp_timer_fired(struct bt *bt, int fd);
long interp_consume(struct bt *bt, int (*fn)(void *ctx, void *data, size_t n));
struct vm_map *interp_map(struct bt *bt, struct bpf_map *m);
void interp_close(struct bt *bt);

/* ---- info.c ---- */
int print_info(void);

#endif
