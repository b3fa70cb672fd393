/* buildid.h - the identity of a compiled program: its GNU build id. */
#ifndef BT_CACHE_BUILDID_H
#define BT_CACHE_BUILDID_H

#include <stdbool.h>
#include <stddef.h>

/* The build id of the ELF executable at path into id (at most idmax
 * bytes): its length, or 0 when the file has none or cannot be read. */
size_t build_id(const char *path, unsigned char *id, size_t idmax);

#endif
