/* codec.h - msgpack encoding of trees (AST/IR nodes) and types.
 *
 * Trees and types are written as two flat tables, "types" and "nodes",
 * in post-order: every reference is the index of an earlier entry, so a
 * decoded table is always acyclic and decoding needs no recursion
 * (ir-spec/ast.md).  Records reached through a pointer are written as
 * name-only stubs.
 *
 *   struct codec_enc *e = enc_new();
 *   uint32_t root = enc_node(e, program);     // also collects types
 *   uint32_t t = enc_type(e, some_type);      // for metadata
 *   ... write the record map: enc_write_tables(e, pk) writes the two
 *   key/value pairs "types" and "nodes" ...
 */
#ifndef BT_CODEC_H
#define BT_CODEC_H

#include "mp.h"
#include "node.h"
#include "type.h"

struct codec_enc;
struct codec_enc *enc_new(void);
uint32_t enc_node(struct codec_enc *e, struct node *n);
uint32_t enc_type(struct codec_enc *e, struct type *t);  /* NULL -> none */
void enc_write_tables(struct codec_enc *e, msgpack_packer *pk); /* 2 kv pairs */

struct meta;
struct codec_dec {
	struct mp_err *err;
	struct type **types;
	uint32_t ntypes;
	struct node **nodes;
	uint32_t nnodes;
	/* optional: dec_next_record decodes the record's "meta" straight
	 * from the stream into it (meta_decode_stream) and sets meta_seen */
	struct meta *meta;
	bool meta_seen;
	/* set by a reader that drops the node list once it has the tree
	 * (dec_free_node_list): the list is malloc'd instead of kept in
	 * the arena for good (8 bytes a node) */
	bool drops_node_list;
};
void dec_free_node_list(struct codec_dec *d);
/* The next record of a stream (as mp_in_next) whose "types" and "nodes"
 * tables are decoded into d straight from the stream's bytes, "types"
 * first (ir-spec/ast.md); the returned map holds the record's other keys.
 * NULL at the end record, or on error: d->err (a bad table) or
 * in->errmsg (a bad stream). */
const msgpack_object *dec_next_record(struct mp_in *in, struct codec_dec *d);
/* Decode the "types" and "nodes" tables of a record already read whole. */
bool dec_tables(struct codec_dec *d, const msgpack_object *record);
/* Resolve a reference (integer index, nil -> NULL). */
struct type *dec_type(struct codec_dec *d, const msgpack_object *o);
struct node *dec_node(struct codec_dec *d, const msgpack_object *o);

/* Attach points are also used standalone in metadata.  Decoded ones are
 * shared by content (the same one in a probe's metadata and its node):
 * never change one in place. */
void enc_attach_point(msgpack_packer *pk, const struct attach_point *ap);
struct attach_point *dec_attach_point(struct mp_err *err, const msgpack_object *o);

#endif
