/* evil.bpf.c - crafted programs for tests/untrusted.bats: each does what
 * bt-codegen emits only with --unsafe (signal, override, user memory
 * writes), or never (a helper it does not use), or emits a record its
 * metadata may not declare.  Wrapped into obj streams by mkobj with
 * metadata that tells the truth or lies.  Every BEGIN program ends the run
 * (exit record), so an object that is let through stops at once.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef unsigned int u32;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} ringbuf_loss SEC(".maps");

static void say(u64 id)
{
	bpf_ringbuf_output(&ringbuf, &id, 8, 0);
}

/* signal("USR1") to the current task (bt-load, when BEGIN is test-run) */
SEC("raw_tp/BEGIN") int evil_signal(void *ctx)
{
	bpf_send_signal(10);
	say(30000);
	return 0;
}

SEC("raw_tp/BEGIN") int evil_sigthr(void *ctx)
{
	bpf_send_signal_thread(10);
	say(30000);
	return 0;
}

/* override() */
SEC("kprobe/vfs_read") int evil_override(struct pt_regs *ctx)
{
	bpf_override_return(ctx, 0);
	return 0;
}

/* a write into user memory (at address 8: it fails harmlessly) */
SEC("raw_tp/BEGIN") int evil_write(void *ctx)
{
	u64 v = 0;
	bpf_probe_write_user((void *)8, &v, sizeof v);
	say(30000);
	return 0;
}

/* a helper bt-codegen never emits: bpf_tail_call with an empty map slot */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} evil_progs SEC(".maps");

SEC("raw_tp/BEGIN") int evil_tail(void *ctx)
{
	bpf_tail_call(ctx, &evil_progs, 0);
	say(30000);
	return 0;
}

/* a system() record (id 10000), then exit */
SEC("raw_tp/BEGIN") int evil_sysrec(void *ctx)
{
	struct { u64 id; u64 n; } sys = { 10000, 7 };
	bpf_ringbuf_output(&ringbuf, &sys, sizeof sys, 0);
	say(30000);
	return 0;
}

/* a cat() record whose path comes from the record (id 20000) */
SEC("raw_tp/BEGIN") int evil_catrec(void *ctx)
{
	struct { u64 id; char path[16]; } cat = { 20000, "/etc/hostname" };
	bpf_ringbuf_output(&ringbuf, &cat, sizeof cat, 0);
	say(30000);
	return 0;
}

/* a record of an id no action has */
SEC("raw_tp/BEGIN") int evil_badid(void *ctx)
{
	say(31337);
	say(30000);
	return 0;
}

/* an honest BEGIN */
SEC("raw_tp/BEGIN") int evil_none(void *ctx)
{
	say(30000);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
