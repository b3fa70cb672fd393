/* tables.c - what bt-load resolved on the live machine, kept by key:
 * symbols (user, pid, addr), stacks (user, pid, limit, id), user names
 * (uid) and cgroup paths (cgroup id, cgroup_path call id).  Filled from
 * sym/stack/username/cgroup records (ir-spec/out.md); a later record with
 * the same key replaces an earlier one.
 */
#include "fmt.h"

#include "arena.h"

enum tab_kind { TK_SYM, TK_STACK, TK_USER, TK_CGROUP };

struct slot {
	uint64_t k[5];        /* kind + up to 4 key words; k[0] = kind + 1 (0: empty) */
	const void *val;
};

struct htab {
	struct slot *s;
	size_t cap, n;
};

struct tables {
	struct htab h;
};

static uint64_t mix(const uint64_t *k)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 5; i++) {
		x ^= k[i];
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 32;
	}
	return x;
}

static struct slot *find(struct htab *h, const uint64_t *k)
{
	if (!h->cap)
		return NULL;
	size_t i = (size_t)mix(k) & (h->cap - 1);
	while (h->s[i].k[0]) {
		if (memcmp(h->s[i].k, k, sizeof h->s[i].k) == 0)
			return &h->s[i];
		i = (i + 1) & (h->cap - 1);
	}
	return &h->s[i];
}

static void put(struct htab *h, const uint64_t *k, const void *val);

static void grow(struct htab *h)
{
	struct htab old = *h;
	h->cap = old.cap ? old.cap * 2 : 64;
	h->s = ARENA_ARRAY(struct slot, h->cap);
	h->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.s[i].k[0])
			put(h, old.s[i].k, old.s[i].val);
}

static void put(struct htab *h, const uint64_t *k, const void *val)
{
	if ((h->n + 1) * 2 > h->cap)
		grow(h);
	struct slot *s = find(h, k);
	if (!s->k[0]) {
		memcpy(s->k, k, sizeof s->k);
		h->n++;
	}
	s->val = val;
}

static const void *get(struct tables *t, const uint64_t *k)
{
	struct slot *s = find(&t->h, k);
	return s && s->k[0] ? s->val : NULL;
}

struct tables *tables_new(void)
{
	return ARENA_NEW(struct tables);
}

void tab_add_sym(struct tables *t, bool user, uint64_t pid, uint64_t addr, const char *name)
{
	uint64_t k[5] = { TK_SYM + 1, user, user ? pid : 0, addr, 0 };
	/* an unresolved address is stored as "" and printed as the address */
	put(&t->h, k, name ? name : "");
}

const char *tab_sym(struct tables *t, bool user, uint64_t pid, uint64_t addr)
{
	uint64_t k[5] = { TK_SYM + 1, user, user ? pid : 0, addr, 0 };
	const char *s = get(t, k);
	return s && *s ? s : NULL;
}

/* Stack ids are 32-bit map keys; values may hold them sign- or
 * zero-extended, so only the low 32 bits identify a stack. */
void tab_add_stack(struct tables *t, bool user, uint64_t pid, uint64_t limit,
		   uint64_t id, struct stack *s)
{
	id &= 0xffffffffu;
	uint64_t k[5] = { TK_STACK + 1, user, user ? pid : 0, limit, id };
	put(&t->h, k, s);
	if (limit) {
		/* also findable by a reader that does not know the limit */
		k[3] = 0;
		put(&t->h, k, s);
	}
}

const struct stack *tab_stack(struct tables *t, bool user, uint64_t pid,
			      uint64_t limit, uint64_t id)
{
	id &= 0xffffffffu;
	uint64_t k[5] = { TK_STACK + 1, user, user ? pid : 0, limit, id };
	const struct stack *s = get(t, k);
	if (!s && limit) {
		k[3] = 0;   /* a record written without a limit */
		s = get(t, k);
	}
	return s;
}

void tab_add_user(struct tables *t, uint64_t uid, const char *name)
{
	uint64_t k[5] = { TK_USER + 1, uid, 0, 0, 0 };
	put(&t->h, k, name ? name : "");
}

const char *tab_user(struct tables *t, uint64_t uid)
{
	uint64_t k[5] = { TK_USER + 1, uid, 0, 0, 0 };
	return get(t, k);
}

void tab_add_cgroup(struct tables *t, uint64_t id, uint64_t filter, const char *path)
{
	uint64_t k[5] = { TK_CGROUP + 1, id, filter, 0, 0 };
	put(&t->h, k, path ? path : "");
}

const char *tab_cgroup(struct tables *t, uint64_t id, uint64_t filter)
{
	uint64_t k[5] = { TK_CGROUP + 1, id, filter, 0, 0 };
	return get(t, k);
}
