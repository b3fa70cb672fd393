/* stacks.c - the entries of a map keyed by a stack, as frame lists root
 * first: what folded output (folded.c) and flame graphs (flamegraph.c) are
 * made from.
 *
 * A key may hold a kernel stack, a user stack and other parts (comm, pid,
 * ...).  The other parts become the leading frames, in key order; then the
 * user stack and the kernel stack, each reversed from bpftrace's leaf-first
 * order, since a user thread calls into the kernel.  Frame names are
 * bpftrace's (symbol, +offset only when asked); an unresolved address is
 * its hex value, of kind FRAME_UNKNOWN (JIT code, stripped binaries).  A
 * key whose stacks are empty and that has no other part (a kernel stack
 * sampled while the CPU ran user code) is the one frame "[empty]".
 */
#include "fmt.h"

#include <stdlib.h>

bool map_has_stack(const struct meta_map *m)
{
	for (uint32_t i = 0; i < m->nkeys; i++)
		if (m->keys[i]->kind == TY_KSTACK || m->keys[i]->kind == TY_USTACK)
			return true;
	return false;
}

/* ';' separates frames and a line ends the record: neither may be in a name */
static void add_frame(struct stack_frames *s, enum frame_kind kind, size_t start)
{
	for (size_t i = start; i < s->text.len; i++)
		if (s->text.p[i] == ';' || s->text.p[i] == '\n')
			s->text.p[i] = s->text.p[i] == ';' ? ':' : ' ';
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->f = realloc(s->f, s->cap * sizeof *s->f);
		if (!s->f)
			abort();
	}
	s->f[s->n++] = (struct stack_frame){ .off = start, .len = s->text.len - start, .kind = kind };
}

/* The frames of one stack value, appended root first. */
static void add_stack(struct fmt *f, struct stack_frames *s, const struct type *t,
		      const uint8_t *p, bool offsets)
{
	bool user = t->kind == TY_USTACK;
	uint32_t pid = 0;   /* ustack: u64 id, u32 pid (value.c's layout) */
	if (user)
		memcpy(&pid, p + 8, sizeof pid);
	const struct stack *st = tab_stack(f->tab, user, pid, t->stack_limit, read_u64(p));
	if (!st)
		return;
	for (uint32_t i = st->n; i-- > 0;) {
		const struct frame *fr = &st->frames[i];
		size_t start = s->text.len;
		if (fr->name) {
			sb_puts(&s->text, fr->name);
			if (offsets) {
				sb_putc(&s->text, '+');
				sb_u64(&s->text, fr->offset);
			}
		} else {
			sb_printf(&s->text, "0x%llx", (unsigned long long)fr->addr);
		}
		add_frame(s, fr->name ? (user ? FRAME_USER : FRAME_KERNEL) : FRAME_UNKNOWN, start);
	}
}

bool map_stacks(struct fmt *f, const struct map_view *v, bool offsets,
		void (*fn)(void *ctx, const struct stack_frames *s, uint64_t count), void *ctx)
{
	const struct meta_map *m = v->m;
	if (m->value->kind != TY_COUNT) {
		fmt_fail(f, "%s: stacks can be folded only from count() values, not %s", m->name,
			 type_kind_name(m->value->kind));
		return false;
	}
	static struct stack_frames s;
	for (uint32_t i = 0; i < v->n && !f->err[0]; i++) {
		const struct map_entry *e = &v->e[i];
		map_entry_use(f, e);
		s.text.len = 0;
		s.n = 0;
		const struct type *kst = NULL, *ust = NULL;
		const uint8_t *kp = NULL, *up = NULL;
		uint32_t off = 0;
		for (uint32_t k = 0; k < m->nkeys; k++) {
			const struct type *t = m->keys[k];
			const uint8_t *p = e->key + off;
			off += t->size;
			if (t->kind == TY_KSTACK) {
				kst = t, kp = p;
			} else if (t->kind == TY_USTACK) {
				ust = t, up = p;
			} else {
				size_t start = s.text.len;
				val_fmt(f, &s.text, t, p, 1, V_KEY);
				add_frame(&s, FRAME_KEY, start);
			}
		}
		if (ust)
			add_stack(f, &s, ust, up, offsets);
		if (kst)
			add_stack(f, &s, kst, kp, offsets);
		if (!s.n) {   /* e.g. kstack sampled in user mode: keep the count */
			size_t start = s.text.len;
			sb_puts(&s.text, "[empty]");
			add_frame(&s, FRAME_MERGED, start);
		}
		fn(ctx, &s, read_u64(e->val) / v->div);
	}
	return !f->err[0];
}
