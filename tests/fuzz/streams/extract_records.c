/* extract_records.c - seed helper for the fuzz_tables/fuzz_meta targets:
 * read a stream on stdin and write each of its maps that carries "types",
 * "nodes" or "meta" (the out header, program/object records) as one bare
 * msgpack object to PREFIX.N.
 *   usage: extract_records PREFIX < stream */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arena.h"
#include "mp.h"

static int n;

static void save(const char *prefix, const msgpack_object *o)
{
	if (!mp_get(o, "types") && !mp_get(o, "nodes") && !mp_get(o, "meta"))
		return;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *o);
	char path[4096];
	snprintf(path, sizeof path, "%s.%d", prefix, n++);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(sb.data, 1, sb.size, f) != sb.size || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	msgpack_sbuffer_destroy(&sb);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: extract_records PREFIX < stream\n");
		return 1;
	}
	struct mp_in in;
	const msgpack_object *o = mp_in_open(&in, 0, NULL, NULL);
	if (!o) {
		fprintf(stderr, "extract_records: ERROR: %s\n", in.errmsg);
		return 1;
	}
	save(argv[1], o);
	while ((o = mp_in_next(&in)))
		save(argv[1], o);
	if (in.errmsg[0]) {
		fprintf(stderr, "extract_records: ERROR: %s\n", in.errmsg);
		return 1;
	}
	return 0;
}
