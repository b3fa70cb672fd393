/* skboutput.c - skboutput(): packets into pcap files.
 *
 * bpf_skb_output writes {u64 30011; u64 call id; u64 boot ns} followed by
 * the packet's first bytes into the perf event array `skb_output`, as a
 * sample of the current CPU's perf buffer; without a buffer on that CPU
 * the helper fails (-ENOENT), so the buffers are opened before anything
 * runs.  Each call id names a file and how many leading bytes of each
 * packet to leave out (meta.skboutputs).  The files are created when the
 * run starts, as bpftrace does, in the classic pcap format (version 2.4,
 * snapshot length 65535, link type 101: raw IP packets), each packet
 * stamped with its wall-clock time.
 *
 * The paths come from the object, and bt-load runs as root: without
 * --unsafe a path is opened without following a symbolic link, and an
 * existing file is replaced only when it is a regular file that is empty
 * or already a pcap file (a capture from an earlier run), so an object
 * cannot overwrite any other file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "load.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_SNAPLEN 65535u
#define LINKTYPE_RAW 101u
#define SKB_HDR 24   /* {u64 id; u64 call id; u64 ns} */

static struct perf_buffer *g_pb;
static FILE **g_file_of_call;     /* by call id */
static VEC(FILE *) g_files;       /* each file once */
static uint64_t g_boot_to_real;   /* add to a boot time: wall-clock time */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

/* Whether the file open at fd may be replaced by a capture (see above). */
static const char *replace_refusal(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "it is not a regular file";
	if (st.st_size == 0)
		return NULL;
	uint32_t magic = 0;
	if (pread(fd, &magic, sizeof magic, 0) != (ssize_t)sizeof magic || magic != PCAP_MAGIC)
		return "it exists and is not a pcap file";
	return NULL;
}

static FILE *pcap_create(struct bt *bt, const char *path)
{
	int flags = O_RDWR | O_CREAT | O_CLOEXEC;
	if (!bt->o.unsafe)
		flags |= O_NOFOLLOW | O_NONBLOCK;   /* no link; a FIFO does not block */
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		bt_error("Failed to create pcap file '%s': %s", path,
			 errno == ELOOP ? "it is a symbolic link (bt-load --unsafe follows it)"
					: strerror(errno));
		return NULL;
	}
	const char *refusal = bt->o.unsafe ? NULL : replace_refusal(fd);
	if (refusal) {
		bt_error("Failed to create pcap file '%s': %s (bt-load --unsafe replaces it)", path,
			 refusal);
		close(fd);
		return NULL;
	}
	/* (a character device given with --unsafe cannot be truncated) */
	FILE *f = ftruncate(fd, 0) == 0 || errno == EINVAL ? fdopen(fd, "w") : NULL;
	if (!f) {
		bt_error("Failed to create pcap file '%s': %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	put32(f, PCAP_MAGIC);
	uint16_t version[2] = { 2, 4 };
	fwrite(version, 2, 2, f);
	put32(f, 0);                /* time zone: UTC */
	put32(f, 0);                /* timestamp accuracy */
	put32(f, PCAP_SNAPLEN);
	put32(f, LINKTYPE_RAW);
	return f;
}

static void on_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct bt *bt = ctx;
	(void)cpu;
	uint64_t id, ns;
	if (size < SKB_HDR)
		return;
	memcpy(&id, (uint8_t *)data + 8, 8);
	memcpy(&ns, (uint8_t *)data + 16, 8);
	if (id >= bt->meta.skboutputs.n || !g_file_of_call[id])
		return;
	/* the sample's size is the kernel's (padded to 8 bytes with its
	 * length word), as bpftrace takes it */
	uint64_t skip = bt->meta.skboutputs.v[id].offset;
	uint32_t got = size - SKB_HDR;
	if (skip > got)
		skip = got;
	uint32_t len = got - (uint32_t)skip;
	uint64_t t = ns + g_boot_to_real;
	FILE *f = g_file_of_call[id];
	put32(f, (uint32_t)(t / 1000000000ull));
	put32(f, (uint32_t)(t % 1000000000ull / 1000));
	put32(f, len);
	put32(f, len);
	fwrite((uint8_t *)data + SKB_HDR + skip, 1, len, f);
}

int skb_open(struct bt *bt, int epfd)
{
	struct bpf_map *map = map_by_name(bt, "skb_output");
	if (!map)
		return 0;
	size_t n = bt->meta.skboutputs.n;
	g_file_of_call = arena_alloc(sizeof(FILE *) * (n + 1));
	for (size_t i = 0; i < n; i++) {
		const char *path = bt->meta.skboutputs.v[i].path;
		for (size_t j = 0; j < i && !g_file_of_call[i]; j++)
			if (!strcmp(bt->meta.skboutputs.v[j].path, path))
				g_file_of_call[i] = g_file_of_call[j];
		if (g_file_of_call[i])
			continue;
		FILE *f = pcap_create(bt, path);
		if (!f)
			return -1;
		g_file_of_call[i] = f;
		VEC_PUSH(&g_files, f);
	}
	g_boot_to_real = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME);
	size_t pages = 1;
	while (pages < (bt->meta.cfg.perf_rb_pages ? bt->meta.cfg.perf_rb_pages : 64))
		pages <<= 1;
	g_pb = perf_buffer__new(bpf_map__fd(map), pages, on_sample, NULL, bt, NULL);
	if (!g_pb) {
		bt_error("failed to open the skboutput perf buffer: %s", strerror(errno));
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = perf_buffer__epoll_fd(g_pb) };
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	return 0;
}

void skb_consume(void)
{
	if (g_pb)
		perf_buffer__consume(g_pb);
}

void skb_close(void)
{
	skb_consume();
	perf_buffer__free(g_pb);
	g_pb = NULL;
	for (size_t i = 0; i < g_files.n; i++)
		if (fclose(g_files.v[i]) != 0)
			bt_error("Failed to write pcap file: %s", strerror(errno));
	g_files.n = 0;
}
