/* ringbuf.c - the event loop: poll the ring buffer, dispatch async events.
 *
 * Records (docs/bpftrace-compat.md "Event records") start with a u64
 * id.  printf, join, print_non_map, helper_error and skboutput are forwarded
 * as `event` records (after the symbol records their values need); exit,
 * print/clear/zero, time, system, cat and watchpoint events are acted on
 * here, while tracing.  Order rules of docs/bpftrace-compat.md "Event order":
 * once finalization is requested (exit event, signal, broken output) further
 * records are consumed and ignored.  Lost events: ringbuf_loss[0] is read
 * before every poll; a growth is written as a `lost` record.  The poll sleeps
 * at most 20 ms: bulk records do not wake us until an eighth of the ring is
 * pending (bt-codegen output.c), control records (exit, print...) do.  After
 * a round that handled records it sleeps at most 1 ms: the tail of a burst
 * (less than an eighth, no wakeup) is printed within a millisecond instead of
 * twenty, and an idle trace still wakes only every 20 ms.
 * With --interpret the records come from the interpreter's ring buffer
 * (interp_consume) and the interval probes' timers share the epoll set:
 * a probe runs when its timer wakes the poll, its records are handled in
 * the same round.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

static struct ring_buffer *g_rb;
static int g_epfd = -1;

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A record the metadata does not declare: the object is not what it
 * claims to be (obj_check.c checked what it could before loading); stop. */
static void undeclared(struct bt *bt, uint64_t id)
{
	bt_error("the program emitted a record its metadata does not declare (id %llu); "
		 "stopping", (unsigned long long)id);
	bt->exit_code = 1;
	bt->finalize = true;
}

/* The declared format of record id, or NULL (undeclared). */
static const struct meta_fmt *fmt_of(struct meta *m, uint64_t id)
{
	if (id < ASYNC_SYSTEM_BASE)
		return id < m->printfs.n ? &m->printfs.v[id] : NULL;
	if (id < ASYNC_CAT_BASE)
		return id - ASYNC_SYSTEM_BASE < m->systems.n ? &m->systems.v[id - ASYNC_SYSTEM_BASE]
							      : NULL;
	return id - ASYNC_CAT_BASE < m->cats.n ? &m->cats.v[id - ASYNC_CAT_BASE] : NULL;
}

static void handle_fmt(struct bt *bt, const uint8_t *d, size_t n, uint64_t id)
{
	struct meta *m = &bt->meta;
	/* a record shorter than its declared layout is not the one declared */
	const struct meta_fmt *f = fmt_of(m, id);
	if (!f || n < f->size) {
		undeclared(bt, id);
		return;
	}
	if (id < ASYNC_SYSTEM_BASE) {
		if (id >= m->printfs.n) {
			undeclared(bt, id);
			return;
		}
		sym_prepare_fmt(bt, &m->printfs.v[id], d, n);
		out_event(bt, d, n);
	} else if (id < ASYNC_CAT_BASE) {
		if (id - ASYNC_SYSTEM_BASE >= m->systems.n) {
			undeclared(bt, id);
			return;
		}
		action_system(bt, &m->systems.v[id - ASYNC_SYSTEM_BASE], d, n);
	} else if (id - ASYNC_CAT_BASE < m->cats.n) {
		action_cat(bt, &m->cats.v[id - ASYNC_CAT_BASE], d, n);
	} else {
		undeclared(bt, id);
	}
}

/* Records per poll round before the loop looks at signals, the child and
 * the output again (a producer faster than us would keep us here). */
#define MAX_BATCH 65536

static void handle(struct bt *bt, const uint8_t *d, size_t n);

/* libbpf has consumed the record when it calls us: handle it, then maybe
 * end the round (a negative return stops ring_buffer__consume). */
static int on_event(void *ctx, void *data, size_t n)
{
	struct bt *bt = ctx;
	handle(bt, data, n);
	return ++bt->batch >= MAX_BATCH ? -1 : 0;
}

static void handle(struct bt *bt, const uint8_t *d, size_t n)
{
	if (bt->finalize)
		return;
	if (sig_stop) {
		bt->finalize = true;
		return;
	}
	if (n < 8)
		return;
	uint64_t id = rd64(d);
	if (id < ASYNC_EXIT) {
		handle_fmt(bt, d, n, id);
		return;
	}
	switch (id) {
	case ASYNC_EXIT:
		bt->finalize = true;
		quiesce(bt);
		break;
	case ASYNC_PRINT:
		if (n >= 20)
			map_print(bt, rd32(d + 8), rd32(d + 12), rd32(d + 16));
		break;
	case ASYNC_CLEAR:
		if (n >= 12)
			map_clear(bt, rd32(d + 8));
		break;
	case ASYNC_ZERO:
		if (n >= 12)
			map_zero(bt, rd32(d + 8));
		break;
	case ASYNC_TIME:
		if (n >= 12)
			action_time(bt, rd32(d + 8));
		break;
	case ASYNC_PRINT_NON_MAP:
		if (n >= 16) {
			uint64_t pid = rd64(d + 8);
			if (pid < bt->meta.print_types.n)
				sym_prepare(bt, bt->meta.print_types.v[pid], d + 16, n - 16);
			out_event(bt, d, n);
		}
		break;
	case ASYNC_WATCHPOINT_ATTACH:
		if (n >= 24)
			watchpoint_event(bt, rd64(d + 8), rd64(d + 16));
		break;
	case ASYNC_WATCHPOINT_DETACH:
		if (n >= 16)
			unwatch(bt, rd64(d + 8));
		break;
	case ASYNC_JOIN: case ASYNC_HELPER_ERROR: case ASYNC_SKBOUTPUT:
		out_event(bt, d, n);
		break;
	default:
		undeclared(bt, id);
		break;
	}
}

int events_epoll_fd(void)
{
	return g_epfd;
}

/* Hand what the ring buffer holds to on_event; records consumed. */
static int consume(struct bt *bt)
{
	if (bt->vm)
		return (int)interp_consume(bt, on_event);
	return g_rb ? ring_buffer__consume(g_rb) : 0;
}

int events_open(struct bt *bt)
{
	g_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g_epfd < 0) {
		bt_error("epoll: %s", strerror(errno));
		return -1;
	}
	/* A pipe's write end reports EPOLLERR once its reader is gone: notice
	 * a vanished bt-fmt even while no event is written. */
	struct epoll_event oev = { .events = 0, .data.fd = 1 };
	epoll_ctl(g_epfd, EPOLL_CTL_ADD, 1, &oev);
	if (skb_open(bt, g_epfd) < 0)
		return -1;
	if (!bt->ringbuf_map || bt->vm)
		return 0;   /* a program without output */
	g_rb = ring_buffer__new(bpf_map__fd(bt->ringbuf_map), on_event, bt, NULL);
	if (!g_rb) {
		bt_error("failed to open the ring buffer: %s", strerror(errno));
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ring_buffer__epoll_fd(g_rb) };
	if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		bt_error("epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void check_lost(struct bt *bt)
{
	if (!bt->loss_map)
		return;
	uint32_t k = 0;
	uint64_t v = 0;
	if (mapio_lookup(bt, bt->loss_map, &k, &v) == 0 && v > bt->lost_seen) {
		out_lost(bt, v - bt->lost_seen);
		bt->lost_seen = v;
	}
}

/* Wait up to timeout_ms for records (signals interrupt), then consume. */
int events_poll(struct bt *bt, int timeout_ms)
{
	check_lost(bt);
	if (g_epfd >= 0 && timeout_ms > 0) {
		struct epoll_event ev[16];
		int k = epoll_wait(g_epfd, ev, 16, timeout_ms);
		for (int i = 0; i < k; i++)
			if (ev[i].data.fd == 1 && (ev[i].events & (EPOLLERR | EPOLLHUP))) {
				bt->out_broken = true;
				bt->finalize = true;
			} else if (bt->vm && !bt->finalize && !sig_stop) {
				interp_timer_fired(bt, ev[i].data.fd);
			}
	}
	bt->batch = 0;
	out_clock_mark(bt);
	int n = consume(bt);
	out_batch_done(bt);
	skb_consume();
	return n;
}

/* Poll timeouts (ms): idle, and after a round that handled records. */
#define POLL_IDLE_MS 20
#define POLL_BUSY_MS 1

int event_loop(struct bt *bt)
{
	int timeout = POLL_IDLE_MS;
	for (;;) {
		if (sig_usr1) {
			sig_usr1 = 0;
			maps_print_all(bt);
			out_flush(bt);
		}
		if (sig_stop)
			bt->finalize = true;
		if (bt->finalize)
			break;
		if (bt->child) {
			child_reap(bt);
			if (bt->child_exited) {
				events_poll(bt, 0);
				break;
			}
		}
		if (!target_alive(bt)) {
			events_poll(bt, 0);
			break;
		}
		usym_watch(bt);
		/* short: bulk events do not wake us (bt-codegen/output.c) */
		timeout = events_poll(bt, timeout) != 0 ? POLL_BUSY_MS : POLL_IDLE_MS;
	}
	return 0;
}

/* Once exit() was called or a signal came, whatever the probes wrote
 * before they were detached is dropped, as bpftrace ignores every event
 * after the exit: consume it with finalize set (handle() ignores it). */
void events_discard(struct bt *bt)
{
	bt->finalize = true;
	if (!g_rb && !bt->vm)
		return;
	for (int round = 0; round < 64; round++) {
		bt->batch = 0;
		consume(bt);
		if (bt->batch < MAX_BATCH)
			break;
	}
}

/* After END: take everything still in the ring buffer. */
void events_drain(struct bt *bt)
{
	bt->finalize = bt->out_broken;
	sig_stop = 0;
	if (g_rb || bt->vm) {
		check_lost(bt);
		/* what the probes wrote before they were detached, then END's;
		 * nothing new comes, so this ends (bounded anyway) */
		for (int round = 0; round < 64; round++) {
			bt->batch = 0;
			consume(bt);
			if (bt->batch < MAX_BATCH || sig_stop)
				break;
		}
		check_lost(bt);
	}
	skb_close();
	out_flush(bt);
}
