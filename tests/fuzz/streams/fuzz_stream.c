/* fuzz_stream.c - libFuzzer target for the stream reader (libcommon/mp.c,
 * mpread.c): any bytes as a stream, opened as "any format" (bt-fmt
 * --dump), as the format its header names (records read as bt-check and
 * bt-codegen do, their tables and an ir record's metadata decoded straight
 * from the stream: dec_next_record) and as a wrong one; every record is dumped (mp_dump)
 * and read through the accessors.  Invariants: no crash, hang,
 * leak or sanitizer report; every refusal is one non-empty line; a stream
 * read to its end record had a header. */
#include "fuzz_common.h"

static void read_all(const uint8_t *data, size_t size, const char *format, bool tables)
{
	int fd = fuzz_feed(data, size);
	struct mp_in in;
	struct source src = { 0 };
	const msgpack_object *h = mp_in_open(&in, fd, format, &src);
	if (!h) {
		fuzz_check_errmsg(in.errmsg);
		mp_in_close(&in);
		return;
	}
	if (!src.filename || !src.text)
		abort();
	mp_dump(fuzz_null, h, 0);
	for (int n = 0; n < FUZZ_MAX_RECORDS; n++) {
		struct mp_err te = { 0 };
		struct meta m;
		/* an ir record's metadata as bt-codegen reads it (meta_decode_stream) */
		bool ir = tables && format && !strcmp(format, "ir");
		struct codec_dec d = { .err = &te, .meta = ir ? &m : NULL };
		const msgpack_object *o = tables ? dec_next_record(&in, &d) : mp_in_next(&in);
		if (!o) {
			if (in.errmsg[0])
				fuzz_check_errmsg(in.errmsg);
			fuzz_check_err(&te);
			break;
		}
		for (uint32_t i = 0; tables && i < d.nnodes; i++)
			if (!d.nodes[i])
				abort();
		if (o->type != MSGPACK_OBJECT_MAP)
			abort();
		mp_dump(fuzz_null, o, 0);
		/* the accessors, as the tools use them on any field */
		struct mp_err e = { 0 };
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *v = &o->via.map.ptr[i].val;
			struct mp_err fe = { 0 };
			const msgpack_object *items;
			uint32_t len;
			(void)mp_int(&fe, v, "x");
			(void)mp_uint(&fe, v, "x");
			(void)mp_bool(&fe, v, "x");
			char *s = mp_str(&fe, v, "x", &len);
			if (s && s[len] != 0)
				abort();
			uint32_t na = mp_array(&fe, v, "x", &items);
			for (uint32_t k = 0; k < na; k++)
				(void)mp_is_nil(&items[k]);
			fuzz_check_err(&fe);
		}
		(void)mp_get_str(&e, o, "t");
		fuzz_check_err(&e);
	}
	mp_in_close(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "ast", "ir", "obj", "out" };
	read_all(data, size, NULL, false);
	/* as the format it claims, then as another one */
	int claimed = -1;
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(formats[i]);
		if (size > n + 8 && memmem(data, size < 64 ? size : 64, formats[i], n))
			claimed = i;
	}
	if (claimed >= 0) {
		read_all(data, size, formats[claimed], true);
		read_all(data, size, formats[(claimed + 1) % 4], false);
	} else {
		read_all(data, size, formats[size % 4], size % 2);
	}
	arena_free_all();
	return 0;
}
