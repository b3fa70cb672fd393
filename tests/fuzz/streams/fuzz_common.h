/* fuzz_common.h - shared plumbing of the stream fuzz targets: feed the
 * input to the fd-based stream reader through a memfd, and re-encode
 * decoded tables into memory.  Included by each fuzz_*.c (one libFuzzer
 * target each; see run-fuzz). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "codec.h"
#include "meta.h"
#include "mp.h"

/* Stop a decoding loop after this many records (inputs are small). */
#define FUZZ_MAX_RECORDS 4096

static FILE *fuzz_null;

/* An fd positioned at the start of exactly these bytes. */
static int fuzz_feed(const uint8_t *data, size_t size)
{
	static int fd = -1;
	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		fuzz_null = fopen("/dev/null", "w");
		if (fd < 0 || !fuzz_null)
			abort();
	}
	if (ftruncate(fd, 0) < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* Reader invariant: an error is one non-empty line. */
static void fuzz_check_errmsg(const char *msg)
{
	if (!msg[0] || strchr(msg, '\n')) {
		fprintf(stderr, "bad error message: '%s'\n", msg);
		abort();
	}
}

static void fuzz_check_err(const struct mp_err *e)
{
	if (e->set)
		fuzz_check_errmsg(e->msg);
}

/* Exercise every type helper on a decoded type. */
static void fuzz_touch_type(const struct type *t)
{
	if (!t)
		return;
	fputs(type_str(t), fuzz_null);
	(void)type_alignment(t);
	(void)type_is_int(t);
	(void)type_is_aggregation(t);
	(void)type_is_byte_array(t);
	(void)type_is_aggregate(t);
	if (!type_equal(t, t))
		abort();
	for (uint32_t i = 0; i < t->nfields; i++)
		if (t->fields[i].name)
			(void)type_field(t, t->fields[i].name);
}

#endif
