/* kernel_id.c - which kernel build is running.
 *
 * The linker gives vmlinux a GNU build id note (a hash of the linked
 * image, .BTF included) and the kernel exposes its notes, as raw ELF note
 * records, at /sys/kernel/notes.  Two kernels with the same build id are
 * the same build and have the same BTF: bt-check records the id of the
 * kernel it typed a program against, and bt-load compares it with the
 * running kernel's (a few hundred bytes to read, where hashing the 5 MiB
 * BTF would cost more than what it saves).
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "kernel_id.h"

#define NOTES_PATH "/sys/kernel/notes"
#define NT_GNU_BUILD_ID 3
#define NOTES_MAX 4096  /* a kernel has a handful of notes */

static uint32_t align4(uint32_t n) { return (n + 3u) & ~3u; }

const char *kernel_build_id_from_notes(const unsigned char *p, unsigned long n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long off = 0;
	while (off <= n && n - off >= 12) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		unsigned long name = off + 12;
		unsigned long desc = name + align4(namesz);
		if (namesz > n || descsz > n || desc > n || n - desc < descsz)
			return NULL;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(p + name, "GNU", 4) &&
		    descsz > 0 && descsz <= 64) {
			char *s = arena_alloc(2 * descsz + 1);
			for (uint32_t i = 0; i < descsz; i++) {
				s[2 * i] = hex[p[desc + i] >> 4];
				s[2 * i + 1] = hex[p[desc + i] & 15];
			}
			s[2 * descsz] = 0;
			return s;
		}
		off = desc + align4(descsz);
	}
	return NULL;
}

const char *kernel_build_id(void)
{
	unsigned char buf[NOTES_MAX];
	int fd = open(NOTES_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) > 0)
		n += (size_t)r;
	close(fd);
	return kernel_build_id_from_notes(buf, n);
}
