/* input.c - reading `out` records after the header.
 *
 * Same framing and messages as libcommon's mp_in_next, plus one hook: the
 * output is flushed right before a read() that may block, i.e. at the end
 * of every batch bt-load wrote, so live output is prompt without flushing
 * after every event.
 */
#include "fmt.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static const msgpack_object *next_object(struct mp_in *in, void (*before_block)(void *),
					 void *arg)
{
	for (;;) {
		msgpack_unpack_return r = msgpack_unpacker_next(&in->unp, &in->res);
		if (r == MSGPACK_UNPACK_SUCCESS)
			return &in->res.data;
		if (r != MSGPACK_UNPACK_CONTINUE) {
			snprintf(in->errmsg, sizeof in->errmsg,
				 "corrupt %s stream (invalid msgpack data)", in->format);
			return NULL;
		}
		if (in->eof) {
			snprintf(in->errmsg, sizeof in->errmsg,
				 "truncated %s stream (input ended before the end record)",
				 in->format);
			return NULL;
		}
		if (!msgpack_unpacker_reserve_buffer(&in->unp, 1 << 18)) {
			snprintf(in->errmsg, sizeof in->errmsg, "out of memory reading %s stream",
				 in->format);
			return NULL;
		}
		if (before_block)
			before_block(arg);
		ssize_t n;
		do
			n = read(in->fd, msgpack_unpacker_buffer(&in->unp),
				 msgpack_unpacker_buffer_capacity(&in->unp));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(in->errmsg, sizeof in->errmsg, "read error: %s", strerror(errno));
			return NULL;
		}
		if (n == 0)
			in->eof = true;
		else
			msgpack_unpacker_buffer_consumed(&in->unp, (size_t)n);
	}
}

const msgpack_object *in_next(struct mp_in *in, void (*before_block)(void *), void *arg)
{
	const msgpack_object *o = next_object(in, before_block, arg);
	if (!o)
		return NULL;
	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "corrupt %s stream (record is not a map)", in->format);
		return NULL;
	}
	const msgpack_object *t = mp_get(o, "t");
	if (t && mp_key_is(t, "end"))
		return NULL;
	return o;
}
