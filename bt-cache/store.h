/* store.h - bt-cache's directory of compiled objects.
 *
 * An entry is a file named by its key (64 hex digits: the SHA-256 of what
 * the compiler was given, see main.c) holding what the compiler wrote:
 *
 *   "btcache1"            8 bytes, the format
 *   key                   32 bytes, again (a renamed file is not used)
 *   err_len, out_len      8 bytes each, little endian
 *   digest                32 bytes, SHA-256 of the err and out bytes
 *   err bytes, out bytes  the compiler's stderr and stdout
 *
 * Objects are code that root runs, so the directory is trusted only when
 * it is a real directory (not a symlink) owned by the effective user and
 * writable by no one else; then only that user can have put files in it.
 * An entry is used only when it too is a regular file of that user that
 * no one else may write, of the size its header says, whose key and
 * digest match.  Entries are written to a temporary name and renamed, so
 * a reader sees a whole entry or none; the directory is kept under a size
 * by removing the entries used least recently (a hit touches the file).
 */
#ifndef BT_CACHE_STORE_H
#define BT_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_LEN 32

struct blob {
	unsigned char *p;
	size_t n;
};

/* A trusted, open cache directory; fd < 0 when there is none. */
struct store {
	int fd;
	char path[4096];
	uint64_t max_bytes; /* the directory's bound */
};

/* Open (creating it, and its parents, mode 0700, when missing) and check
 * the cache directory PATH.  false with the reason in why (and
 * *insecure set when the directory exists but others could write it or
 * it is not ours: worth a warning, not just a silent miss). */
bool store_open(struct store *s, const char *path, uint64_t max_bytes, bool *insecure,
		char *why, size_t whylen);
void store_close(struct store *s);

/* The entry of key: true and its err/out (malloc'ed) when it exists and
 * passes every check; false otherwise, with the reason in why ("" when
 * there is simply no entry). */
bool store_get(struct store *s, const unsigned char key[STORE_KEY_LEN], struct blob *err,
	       struct blob *out, char *why, size_t whylen);

/* Write the entry of key atomically, then bring the directory back under
 * its bound.  false with the reason in why. */
bool store_put(struct store *s, const unsigned char key[STORE_KEY_LEN], const struct blob *err,
	       const struct blob *out, char *why, size_t whylen);

/* The entry's file name: 64 lowercase hex digits and a NUL. */
void store_key_name(const unsigned char key[STORE_KEY_LEN], char name[2 * STORE_KEY_LEN + 1]);

#endif
