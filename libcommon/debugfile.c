/* debugfile.c - finding a binary's separate debug file.  See debugfile.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "debugfile.h"

#define DEBUG_ROOT "/usr/lib/debug"

/* The CRC-32 (IEEE, reflected) that .gnu_debuglink records of the file. */
static bool file_crc32(const char *path, uint32_t *crc)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	uint32_t c = 0xffffffffu;
	unsigned char buf[65536];
	ssize_t got;
	while ((got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++)
			c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
	close(fd);
	*crc = ~c;
	return got == 0;
}

/* By opening it: access(2) checks the real uid, and bt-check runs as
 * nobody with CAP_DAC_READ_SEARCH. */
static bool is_readable(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

const char *debugfile_find(const char *path, const unsigned char *id, size_t n,
			   const char *link, uint32_t crc)
{
	char cand[PATH_MAX];
	if (id && n >= 2 && n <= 64) {
		int len = snprintf(cand, sizeof cand, DEBUG_ROOT "/.build-id/%02x/", id[0]);
		for (size_t i = 1; i < n; i++)
			len += snprintf(cand + len, sizeof cand - (size_t)len, "%02x", id[i]);
		snprintf(cand + len, sizeof cand - (size_t)len, ".debug");
		if (is_readable(cand))
			return arena_strdup(cand);
	}
	if (!link || !*link || strchr(link, '/'))
		return NULL;
	const char *slash = strrchr(path, '/');
	const char *dir = slash ? path : ".";
	int dlen = slash ? (int)(slash - path) : 1;
	static const char *const forms[] = { "%.*s/%s", "%.*s/.debug/%s", DEBUG_ROOT "%.*s/%s" };
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		if (f == 2 && dir[0] != '/')
			break;   /* only an absolute folder has a place under the root */
		if (snprintf(cand, sizeof cand, forms[f], dlen, dir, link) >= (int)sizeof cand)
			continue;
		if (strcmp(cand, path) == 0)
			continue;   /* the binary itself */
		uint32_t c;
		if (file_crc32(cand, &c) && c == crc)
			return arena_strdup(cand);
	}
	return NULL;
}
