/* fuzz_parse.c - libFuzzer target for bt-parse's front end: any bytes as a
 * program (and, by the first byte, as a listing search or with positional
 * parameters); then the -d printer and the ast encoder on what parsed.
 * Nothing may crash, hang, leak or trip ASan/UBSan.  Run: run-fuzz-parse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ast_print.h"
#include "bt_parse.h"
#include "codec.h"
#include "mp.h"

static FILE *devnull;
static int devnull_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		devnull_fd = fileno(devnull);
	}
	static const char *const params[] = { "foo", "bar:baz", "\"q\"", "$1", "12" };
	struct parse_opts o = { 0 };
	if (size && data[0] == 0x01) {       /* listing mode */
		o.listing = true;
		data++, size--;
	} else if (size && data[0] == 0x02) { /* with -p and parameters */
		o.have_pid = true;
		o.params = params;
		o.nparams = 5;
		data++, size--;
	}
	char *text = arena_strndup((const char *)data, size);
	struct diags d = { 0 };
	struct node *root = parse_program(text, size, &o, &d);
	struct source src = { "stdin", text };
	diag_render_all(devnull, &src, &d);
	if (root) {
		ast_print_pass(devnull, "parser", root, true);
		struct mp_out *out = ARENA_NEW(struct mp_out);
		mp_out_init(out, devnull_fd);
		mp_write_header(out, "ast", &src, 0);
		struct codec_enc *e = enc_new();
		uint32_t idx = enc_node(e, root);
		msgpack_pack_map(&out->pk, 3);
		mp_kv_str(&out->pk, "t", "program");
		enc_write_tables(e, &out->pk);
		mp_kv_uint(&out->pk, "root", idx);
		mp_write_end(out);
		mp_out_flush(out);
	}
	arena_free_all();
	return 0;
}
