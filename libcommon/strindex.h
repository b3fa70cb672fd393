/* strindex.h - an index from NUL-terminated names to pointers, for the
 * tables that grow with the program (maps, variables, probes): a lookup
 * costs the same with 10 names or 100,000.  Keys are not copied: they must
 * live as long as the index (arena strings do).  Arena-backed, never freed.
 */
#ifndef BT_STRINDEX_H
#define BT_STRINDEX_H

#include <stddef.h>

struct strindex {
	struct strindex_slot *slots;
	size_t nslots, n;
};

/* The value stored for name, or NULL. */
void *strindex_get(const struct strindex *ix, const char *name);
/* Stores value for name (replacing an earlier one). */
void strindex_put(struct strindex *ix, const char *name, void *value);

#endif
