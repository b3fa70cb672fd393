/* progs.bpf.c - hand-written BPF programs following the obj conventions
 * (ir-spec/obj.md), for testing bt-load without the compiler stages.
 * Built by tests/load.bats with clang -target bpf; wrapped by mkobj.
 * Event ids: printf 0 "begin", 1 "end", 2 "%d %s" (pid, comm), 3 "tick",
 * 4 "%s" (ksym), 5 "%d" (cpid), 6 "%s" (string[48]); system 0; cat 0;
 * time 0.
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef unsigned int u32;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} ringbuf_loss SEC(".maps");

/* skboutput()'s perf buffers (the tests of its pcap files) */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
} skb_output SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} cpid SEC(".maps");

#define PCPU_MAP(name)                                                         \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);                        \
		__uint(max_entries, 4096);                                     \
		__type(key, u64);                                              \
		__type(value, u64);                                            \
	} name SEC(".maps")

PCPU_MAP(AT_c);   /* @c  count, keyless (u64 0) */
PCPU_MAP(AT_k);   /* @k[kstack] count */
PCPU_MAP(AT_u);   /* @u[username] count */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} AT_s SEC(".maps");   /* @s[pid] = int */

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, 4);
	__uint(value_size, 127 * 8);
} stack_127 SEC(".maps");

static void emit(void *d, u64 n)
{
	if (bpf_ringbuf_output(&ringbuf, d, n, 0)) {
		u32 k = 0;
		u64 *v = bpf_map_lookup_elem(&ringbuf_loss, &k);
		if (v)
			__sync_fetch_and_add(v, 1);
	}
}

static void count(void *map, u64 key)
{
	u64 *v = bpf_map_lookup_elem(map, &key);
	if (v) {
		*v += 1;
	} else {
		u64 one = 1;
		bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
	}
}

static void say(u64 id)
{
	emit(&id, 8);
}

SEC("raw_tp/BEGIN") int BEGIN_1(void *ctx) { say(0); return 0; }
SEC("raw_tp/END") int END_1(void *ctx) { say(1); return 0; }

/* exit() */
SEC("perf_event") int exit_1(void *ctx) { say(30000); return 0; }
SEC("raw_tp") int exit_rtp(void *ctx) { say(30000); return 0; }

/* @c = count() on a tracepoint / raw tracepoint / perf event */
SEC("tracepoint") int count_tp(void *ctx) { count(&AT_c, 0); return 1; }
SEC("raw_tp") int count_rtp(void *ctx) { count(&AT_c, 0); return 0; }
SEC("perf_event") int count_pe(void *ctx) { count(&AT_c, 0); return 0; }

/* printf("%d %s\n", pid, comm) and @c = count() (uprobes) */
SEC("uprobe") int upr(void *ctx)
{
	struct { u64 id; char comm[16]; u64 pid; } e = { .id = 2 };
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e.comm, sizeof e.comm);
	emit(&e, sizeof e);
	count(&AT_c, 0);
	return 0;
}

/* printf("tick\n") */
SEC("perf_event") int tick(void *ctx) { say(3); return 0; }
SEC("kprobe") int kp_tick(void *ctx) { say(3); return 0; }
SEC("raw_tp") int tick_rtp(void *ctx) { say(3); return 0; }

/* @k[kstack] = count(); @u[username] = count(); printf("%s\n", ksym(ip)) */
SEC("perf_event") int stacks(struct bpf_perf_event_data *ctx)
{
	long id = bpf_get_stackid(ctx, &stack_127, 0);
	if (id >= 0)
		count(&AT_k, (u64)id);
	count(&AT_u, (u32)bpf_get_current_uid_gid());
	return 0;
}

SEC("perf_event") int ksym_pe(struct bpf_perf_event_data *ctx)
{
	struct { u64 id; u64 addr; } e = { 4, ctx->regs.rip };
	if ((long)e.addr < 0)   /* kernel addresses only */
		emit(&e, sizeof e);
	return 0;
}

/* print(@c), clear(@c), zero(@s) */
SEC("perf_event") int print_c(void *ctx)
{
	struct { u64 id; u32 map, top, div; } __attribute__((packed)) e = { 30001, 0, 0, 0 };
	emit(&e, sizeof e);
	return 0;
}

/* @s[pid] = 42; system("echo hi %d", 7); cat("/proc/self/comm"-ish); time() */
SEC("raw_tp") int actions(void *ctx)
{
	u64 pid = bpf_get_current_pid_tgid() >> 32, v = 42;
	bpf_map_update_elem(&AT_s, &pid, &v, BPF_ANY);
	struct { u64 id; u64 n; } sys = { 10000, 7 };
	emit(&sys, sizeof sys);
	struct { u64 id; char path[16]; } cat = { 20000, "/etc/hostname" };
	emit(&cat, sizeof cat);
	struct { u64 id; u32 tid; } __attribute__((packed)) tm = { 30004, 0 };
	emit(&tm, sizeof tm);
	return 0;
}

/* printf("%d\n", cpid) */
SEC("raw_tp") int show_cpid(void *ctx)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&cpid, &k);
	struct { u64 id; u64 cpid; } e = { 5, v ? *v : 0 };
	emit(&e, sizeof e);
	return 0;
}

/* many events at once (lost events with a tiny buffer) */
SEC("perf_event") int flood(void *ctx)
{
	struct { u64 id; char pad[248]; } e = { .id = 3 };
	for (int i = 0; i < 64; i++)
		emit(&e, sizeof e);
	return 0;
}



/* a tracepoint probe on many syscalls:sys_enter_* compiled as one raw
 * tracepoint program (ir-spec/obj.md, "Attach by section") */
SEC("raw_tp/sys_enter") int count_sys(struct bpf_raw_tracepoint_args *ctx)
{
	count(&AT_c, ctx->args[1]);
	return 0;
}
/* iter:task { printf("%s\n", comm) } and iter:task_file */
struct seq_file;
struct task_struct { int pid; char comm[16]; } __attribute__((preserve_access_index));
struct file;
struct bpf_iter_meta { struct seq_file *seq; } __attribute__((preserve_access_index));
struct bpf_iter__task { struct bpf_iter_meta *meta; struct task_struct *task; }
	__attribute__((preserve_access_index));
struct bpf_iter__task_file {
	struct bpf_iter_meta *meta; struct task_struct *task; unsigned int fd; struct file *file;
} __attribute__((preserve_access_index));

SEC("iter/task") int iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t)
		return 0;
	static const char fmt[] = "task %d\n";
	u64 args[1] = { t->pid };
	bpf_seq_printf(ctx->meta->seq, fmt, sizeof fmt, args, sizeof args);
	return 0;
}

SEC("iter/task_file") int iter_task_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t || !ctx->file)
		return 0;
	static const char fmt[] = "file %d %d\n";
	u64 args[2] = { t->pid, ctx->fd };
	bpf_seq_printf(ctx->meta->seq, fmt, sizeof fmt, args, sizeof args);
	return 0;
}

/* watchpoint:increment+arg1:4:w { printf("tick\n") }: the setup uprobe */
SEC("perf_event") int wtick(void *ctx) { say(3); return 0; }
SEC("uprobe") int wtick_wp_setup(struct pt_regs *ctx)
{
	struct { u64 id, idx, addr; } e = { 30009, bpf_get_attach_cookie(ctx), ctx->rsi };
	/* SIGSTOP until bt-load has set the breakpoint; sent before the report,
	 * whose answer (SIGCONT) must come after it */
	bpf_send_signal(19);
	emit(&e, sizeof e);
	return 0;
}

/* usdt:usdt_semaphore_test:tracetest:testprobe { printf("%s", str(arg1)) }
 * (arg1 is 8@%rax in that binary) */
SEC("usdt") int usdt_msg(struct pt_regs *ctx)
{
	struct { u64 id; char s[48]; } e = { 6 };
	bpf_probe_read_user_str(e.s, sizeof e.s, (void *)ctx->rax);
	emit(&e, sizeof e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
