/* arena.h - the process-wide allocator.
 *
 * Every tool allocates its long-lived data (types, strings, metadata)
 * from one arena that is released once, at exit; AST nodes come from
 * blocks of their own (node.c), which a tool done with its tree can free.
 * Allocation never fails from the caller's point of view: on out-of-memory
 * the process prints one line and exits 1 (the single exception to "only
 * main exits").  Growable arrays use VEC below, also arena-backed, or
 * MVEC_PUSH over malloc.
 */
#ifndef BT_ARENA_H
#define BT_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void *arena_alloc(size_t size);                 /* zeroed, 16-byte aligned */
char *arena_strdup(const char *s);              /* NULL stays NULL */
char *arena_strndup(const char *s, size_t n);   /* copies n bytes, adds NUL */
void *arena_memdup(const void *p, size_t n);
/* One shared copy of each short string (names repeat across a program):
 * never to be changed.  Longer strings or ones holding NULs are copied. */
const char *arena_intern(const char *p, size_t n);
/* An open-addressing set of arena objects (interned strings, shared
 * attach points): doubled when half full, emptied with the arena.
 * arena_set_find gives the slot of the item same() as key, or the empty
 * slot where it goes (store it there and count it in n). */
struct arena_set {
	void **slots;
	size_t nslots, n;
	unsigned gen;
	size_t (*hash)(const void *item);   /* of a stored item, as of its key */
};
void **arena_set_find(struct arena_set *set, size_t hash, const void *key,
		      bool (*same)(const void *item, const void *key));
char *arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *arena_vprintf(const char *fmt, va_list ap);
void arena_free_all(void);
/* The one-line message and exit 1 of a failed allocation (for memory
 * kept outside the arena). */
_Noreturn void arena_out_of_memory(size_t size);
/* Changes with every arena_free_all: caches of arena memory check it. */
unsigned arena_generation(void);

#define ARENA_NEW(T) ((T *)arena_alloc(sizeof(T)))
#define ARENA_ARRAY(T, n) ((T *)arena_alloc(sizeof(T) * (size_t)(n)))

/* A growable array: VEC(int) v = {0}; VEC_PUSH(&v, 3); v.v[0], v.n */
#define VEC(T) struct { T *v; size_t n, cap; }
#define VEC_PUSH(vec, item)                                                    \
	do {                                                                   \
		if ((vec)->n == (vec)->cap)                                    \
			VEC_RESERVE(vec, (vec)->cap ? (vec)->cap * 2 : 4);     \
		(vec)->v[(vec)->n++] = (item);                                 \
	} while (0)

/* Room for count elements in all, in one allocation: for a vector whose
 * final size is known (the arena keeps every copy VEC_PUSH outgrows). */
#define VEC_RESERVE(vec, count)                                                \
	do {                                                                   \
		size_t n_ = (count);                                           \
		if ((vec)->cap < n_) {                                         \
			void *nv_ = arena_alloc(n_ * sizeof(*(vec)->v));       \
			if ((vec)->n)                                          \
				memcpy(nv_, (vec)->v,                          \
				       (vec)->n * sizeof(*(vec)->v));          \
			(vec)->v = nv_;                                        \
			(vec)->cap = n_;                                       \
		}                                                              \
	} while (0)

/* The same growth over malloc, for a vector dropped before exit or
 * outgrown often (the arena keeps every outgrown copy): free(vec.v). */
#define MVEC_PUSH(vec, item)                                                   \
	do {                                                                   \
		if ((vec)->n == (vec)->cap)                                    \
			(vec)->v = mvec_grow((vec)->v, &(vec)->cap,            \
					     sizeof(*(vec)->v));               \
		(vec)->v[(vec)->n++] = (item);                                 \
	} while (0)
void *mvec_grow(void *v, size_t *cap, size_t elem);   /* doubles *cap */

/* An arena-backed growable string, NUL-terminated once anything was added. */
struct astr {
	char *s;
	size_t len, cap;
};
void astr_add(struct astr *b, const char *s, size_t n);
void astr_addc(struct astr *b, char c);
void astr_adds(struct astr *b, const char *s);
const char *astr_str(const struct astr *b);   /* arena copy; "" when empty */

#endif
