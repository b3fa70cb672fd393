/* out.c - the `out` stream writer (ir-spec/out.md) and its flush policy.
 *
 * Records are packed into mp_out's 64 KiB buffer and written in large
 * writes: after every record with -B none, after every poll round with
 * -B line (the default), and with -B full when the buffer fills or 100 ms
 * have passed since the last write.  A failed write (bt-fmt gone: EPIPE)
 * marks the stream broken; the run then stops and cleans up.
 */
#include <stdlib.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "load.h"

static uint64_t g_last_flush_ms;
static msgpack_sbuffer g_held;   /* records kept back by out_hold() */
static bool g_holding;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put_raw(struct bt *bt, const void *p, size_t n)
{
	msgpack_packer *pk = &bt->out->pk;
	pk->callback(pk->data, p, n);
}

static void check_failed(struct bt *bt)
{
	if (bt->out->failed && !bt->out_broken) {
		bt->out_broken = true;
		bt->finalize = true;
	}
}

/* Which machine the trace ran on: names it in pictures, and tells the runs
 * of a fleet apart (same boot id = same boot of the same machine). */
static void put_host(msgpack_packer *pk, const char *name)
{
	struct utsname u;
	char boot_id[64] = "";
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot_id, sizeof boot_id, f))
			boot_id[0] = '\0';
		boot_id[strcspn(boot_id, "\n")] = '\0';
		fclose(f);
	}
	mp_key(pk, "host");
	msgpack_pack_map(pk, 3);
	mp_kv_str(pk, "name", name ? name : u.nodename);
	mp_kv_str(pk, "release", u.release);
	mp_kv_str(pk, "boot_id", boot_id);
}

void out_begin(struct bt *bt)
{
	msgpack_packer *pk = &bt->out->pk;
	mp_write_header(bt->out, "out", &bt->src, 6);
	size_t n;
	const void *p;
	mp_key(pk, "types");
	p = hdr_types_buf(&n);
	put_raw(bt, p, n);
	mp_key(pk, "meta");
	p = hdr_meta_buf(&n);
	put_raw(bt, p, n);

	/* Clocks: wall time = ns of that clock + offset (taken once, now). */
	int64_t real = clock_ns(CLOCK_REALTIME);
	int64_t boot = real - clock_ns(CLOCK_BOOTTIME);
	mp_kv_int(pk, "realtime_offset", boot);
	mp_key(pk, "clock");
	msgpack_pack_map(pk, 3);
	mp_kv_int(pk, "boot", boot);
	mp_kv_int(pk, "monotonic", real - clock_ns(CLOCK_MONOTONIC));
	mp_kv_int(pk, "tai", real - clock_ns(CLOCK_TAI));

	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	mp_key(pk, "tz");
	msgpack_pack_map(pk, 2);
	mp_kv_int(pk, "gmtoff", tm.tm_gmtoff);
	mp_kv_str(pk, "name", tm.tm_zone ? tm.tm_zone : "UTC");
	put_host(pk, bt->o.host_name);
	out_record_done(bt);
}

void out_attached(struct bt *bt, uint32_t n)
{
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 2);
	mp_kv_str(pk, "t", "attached");
	mp_kv_uint(pk, "n", n);
	/* "Attaching N probes..." must be visible before anything runs */
	out_flush(bt);
}

/* Clock records: CLOCK_REALTIME in ns, written before the first record of
 * each batch (a ring buffer poll, a map print), so that streams of several
 * machines can be interleaved by time (bt-fmt's merge).  Not per event: a
 * batch is read within milliseconds of its events. */
static int64_t g_clock_due;   /* 0: none pending */

void out_clock_mark(struct bt *bt)
{
	g_clock_due = clock_ns(CLOCK_REALTIME);
}

void out_stamp(struct bt *bt)
{
	if (!g_clock_due)
		return;
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 2);
	mp_kv_str(pk, "t", "clock");
	mp_kv_int(pk, "ns", g_clock_due);
	g_clock_due = 0;
}

void out_event(struct bt *bt, const void *data, size_t size)
{
	msgpack_packer *pk = &bt->out->pk;
	out_stamp(bt);
	msgpack_pack_map(pk, 2);
	mp_kv_str(pk, "t", "event");
	mp_kv_bin(pk, "data", data, size);
	out_record_done(bt);
}

void out_text(struct bt *bt, const char *kind, const void *data, size_t n)
{
	msgpack_packer *pk = &bt->out->pk;
	out_stamp(bt);
	msgpack_pack_map(pk, 3);
	mp_kv_str(pk, "t", "text");
	mp_kv_str(pk, "kind", kind);
	mp_kv_bin(pk, "data", data, n);
	out_record_done(bt);
}

void out_lost(struct bt *bt, uint64_t n)
{
	msgpack_packer *pk = &bt->out->pk;
	out_stamp(bt);
	msgpack_pack_map(pk, 2);
	mp_kv_str(pk, "t", "lost");
	mp_kv_uint(pk, "n", n);
	out_record_done(bt);
}

void out_error(struct bt *bt, const char *msg)
{
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 2);
	mp_kv_str(pk, "t", "error");
	mp_kv_str(pk, "msg", msg);
	out_record_done(bt);
}

void out_simple(struct bt *bt, const char *t)
{
	msgpack_packer *pk = &bt->out->pk;
	out_stamp(bt);
	msgpack_pack_map(pk, 1);
	mp_kv_str(pk, "t", t);
	out_record_done(bt);
}

void out_child(struct bt *bt)
{
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 3);
	mp_kv_str(pk, "t", "child");
	bool sig = WIFSIGNALED(bt->child_status);
	mp_kv_str(pk, "how", sig ? "signal" : "exit");
	mp_kv_int(pk, "code", sig ? WTERMSIG(bt->child_status) : WEXITSTATUS(bt->child_status));
	out_record_done(bt);
}

/* Keep records back (in memory, unbounded) instead of writing them:
 * BEGIN's output waits until every probe is attached and the attach
 * notification is out, as bpftrace prints it. */
void out_hold(struct bt *bt)
{
	out_flush(bt);
	msgpack_sbuffer_init(&g_held);
	msgpack_packer_init(&bt->out->pk, &g_held, msgpack_sbuffer_write);
	g_holding = true;
}

/* Write what out_hold() kept back, and go on writing directly. */
void out_release(struct bt *bt)
{
	if (!g_holding)
		return;
	g_holding = false;
	struct mp_out *o = bt->out;
	bool failed = o->failed;
	mp_out_init(o, o->fd);
	o->failed = failed;
	if (g_held.size)
		put_raw(bt, g_held.data, g_held.size);
	msgpack_sbuffer_destroy(&g_held);
	out_flush(bt);
}

void out_end(struct bt *bt)
{
	out_release(bt);
	mp_write_end(bt->out);
	out_flush(bt);
}

void out_record_done(struct bt *bt)
{
	if (bt->o.bufmode == BUF_NONE)
		out_flush(bt);
	else
		check_failed(bt);
}

void out_batch_done(struct bt *bt)
{
	if (bt->out->len == 0)
		return;
	if (bt->o.bufmode != BUF_FULL || now_ms() - g_last_flush_ms >= 100)
		out_flush(bt);
}

/* Wait (at most 200 ms) until the reader has taken everything written:
 * bt-fmt is then running, and has printed what came before. */
void out_wait_reader(struct bt *bt)
{
	out_flush(bt);
	int unread;
	for (int i = 0; i < 400 && ioctl(1, FIONREAD, &unread) == 0 && unread > 0; i++)
		usleep(500);
}

int out_flush(struct bt *bt)
{
	g_last_flush_ms = now_ms();
	int r = bt->out->len ? mp_out_flush(bt->out) : 0;
	check_failed(bt);
	return r;
}
