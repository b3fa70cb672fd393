/* config.c - meta.cfg from the BPFTRACE_* environment and the script's
 * `config = { ... }` block (docs/bpftrace-compat.md "Config").  An environment
 * variable always wins over the block (silently); block errors carry the
 * assignment's location, environment errors none.  BPFTRACE_MAX_AST_NODES is
 * kept for the node count after the semantic pass (check_program).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum cfg_type { C_INT, C_BOOL, C_STRING, C_STACK_MODE };

struct cfg_key {
	const char *name;        /* normalised: lower case, no bpftrace_ prefix */
	enum cfg_type type;
	bool env_only;
};

static const struct cfg_key keys[] = {
	{ "cache_user_symbols", C_STRING, false },
	{ "cpp_demangle", C_BOOL, false },
	{ "log_size", C_INT, false },
	{ "max_bpf_progs", C_INT, false },
	{ "max_cat_bytes", C_INT, false },
	{ "max_map_keys", C_INT, false },
	{ "max_probes", C_INT, false },
	{ "max_strlen", C_INT, false },
	{ "max_type_res_iterations", C_INT, false },
	{ "perf_rb_pages", C_INT, false },
	{ "stack_mode", C_STACK_MODE, false },
	{ "str_trunc_trailer", C_STRING, false },
	{ "btf", C_STRING, true },
	{ "debug_output", C_BOOL, true },
	{ "kernel_build", C_STRING, true },
	{ "kernel_source", C_STRING, true },
	{ "max_ast_nodes", C_INT, true },
	{ "verify_llvm_ir", C_BOOL, true },
	{ "vmlinux", C_STRING, true },
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* Deprecated environment names and what they set. */
static const struct {
	const char *env, *key, *use;
	bool invert;
} deprecated[] = {
	{ "BPFTRACE_STRLEN", "max_strlen", "Use BPFTRACE_MAX_STRLEN instead.", false },
	{ "BPFTRACE_NO_CPP_DEMANGLE", "cpp_demangle", "Use BPFTRACE_CPP_DEMANGLE=0 instead.", true },
	{ "BPFTRACE_CAT_BYTES_MAX", "max_cat_bytes", "Use BPFTRACE_MAX_CAT_BYTES instead.", false },
	{ "BPFTRACE_MAP_KEYS_MAX", "max_map_keys", "Use BPFTRACE_MAX_MAP_KEYS instead.", false },
};

struct cfg_state {
	struct check *c;
	bool from_env[NKEYS];
	uint64_t max_ast_nodes;
};

static const struct cfg_key *find_key(const char *raw)
{
	char norm[128];
	size_t n = 0;
	for (const char *p = raw; *p && n < sizeof norm - 1; p++)
		norm[n++] = (char)tolower((unsigned char)*p);
	norm[n] = 0;
	const char *k = strncmp(norm, "bpftrace_", 9) == 0 ? norm + 9 : norm;
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, k) == 0)
			return &keys[i];
	return NULL;
}

static bool parse_stack_mode(const char *s, uint8_t *mode)
{
	if (strcmp(s, "bpftrace") == 0)
		*mode = STACK_BPFTRACE;
	else if (strcmp(s, "perf") == 0)
		*mode = STACK_PERF;
	else if (strcmp(s, "raw") == 0)
		*mode = STACK_RAW;
	else
		return false;
	return true;
}

/* Store a validated value.  Returns false with a message for bad values. */
static bool set_value(struct cfg_state *st, const struct cfg_key *k, uint64_t num,
		      const char *str, struct loc loc, bool env)
{
	struct check *c = st->c;
	struct meta_config *cfg = &c->meta->cfg;
	const char *n = k->name;
	if (strcmp(n, "max_strlen") == 0) cfg->max_strlen = num;
	else if (strcmp(n, "log_size") == 0) cfg->log_size = num;
	else if (strcmp(n, "max_bpf_progs") == 0) cfg->max_bpf_progs = num;
	else if (strcmp(n, "max_cat_bytes") == 0) cfg->max_cat_bytes = num;
	else if (strcmp(n, "max_map_keys") == 0) cfg->max_map_keys = num;
	else if (strcmp(n, "max_probes") == 0) cfg->max_probes = num;
	else if (strcmp(n, "perf_rb_pages") == 0) cfg->perf_rb_pages = num;
	else if (strcmp(n, "cpp_demangle") == 0) cfg->cpp_demangle = num != 0;
	else if (strcmp(n, "max_ast_nodes") == 0) st->max_ast_nodes = num;
	else if (strcmp(n, "str_trunc_trailer") == 0) cfg->str_trunc_trailer = str;
	else if (strcmp(n, "stack_mode") == 0) {
		if (!parse_stack_mode(str, &cfg->stack_mode)) {
			diag_add(c->d, DIAG_ERROR, loc, "%s is not a valid StackMode", str);
			return false;
		}
	} else if (strcmp(n, "cache_user_symbols") == 0) {
		if (strcmp(str, "PER_PID") == 0 || strcmp(str, "PER_PROGRAM") == 0 ||
		    strcmp(str, "NONE") == 0)
			cfg->cache_user_symbols = str;
		else if (strcmp(str, "0") == 0)
			cfg->cache_user_symbols = "NONE";
		else if (strcmp(str, "1") != 0) {
			diag_add(c->d, DIAG_ERROR, env ? (struct loc){ 0 } : loc,
				 "Invalid value for cache_user_symbols: valid values are PER_PID, "
				 "PER_PROGRAM, and NONE.");
			return false;
		}
	}
	return true;
}

/* istream >> uint64: leading blanks, digits; zero is refused too. */
static bool env_uint(const char *s, uint64_t *v)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	char *end;
	*v = strtoull(s, &end, 10);
	return *v != 0;
}

static bool apply_env_key(struct cfg_state *st, const struct cfg_key *k,
			  const char *name, const char *val, bool invert)
{
	struct check *c = st->c;
	struct loc none = { 0 };
	uint64_t num = 0;
	switch (k->type) {
	case C_INT:
		if (!env_uint(val, &num)) {
			diag_add(c->d, DIAG_ERROR, none,
				 "Env var '%s' did not contain a valid uint64_t, or was zero-valued.",
				 name);
			return false;
		}
		if (strcmp(k->name, "max_strlen") == 0 && num > 200) {
			diag_add(c->d, DIAG_ERROR, none,
				 "'%s' %llu exceeds the current maximum of 200 bytes.\n"
				 "This limitation is because strings are currently stored on the 512 "
				 "byte BPF stack.\nLong strings will be pursued in: "
				 "https://github.com/iovisor/bpftrace/issues/305",
				 name, (unsigned long long)num);
			return false;
		}
		break;
	case C_BOOL:
		if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
			diag_add(c->d, DIAG_ERROR, none,
				 "Env var '%s' did not contain a valid value (0 or 1).", name);
			return false;
		}
		num = (uint64_t)(val[0] == '1');
		if (invert)
			num = !num;
		break;
	case C_STRING: case C_STACK_MODE:
		break;
	}
	st->from_env[k - keys] = true;
	return set_value(st, k, num, arena_strdup(val), none, true);
}

static bool apply_env(struct cfg_state *st, const char **envp)
{
	bool ok = true;
	for (const char **e = envp; e && *e; e++) {
		if (strncmp(*e, "BPFTRACE_", 9) != 0)
			continue;
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		const char *name = arena_strndup(*e, (size_t)(eq - *e));
		const char *val = eq + 1;
		for (size_t i = 0; i < sizeof deprecated / sizeof deprecated[0]; i++) {
			if (strcmp(deprecated[i].env, name) != 0)
				continue;
			diag_add(st->c->d, DIAG_WARNING, (struct loc){ 0 }, "%s is deprecated. %s",
				 name, deprecated[i].use);
			ok &= apply_env_key(st, find_key(deprecated[i].key), name, val,
					    deprecated[i].invert);
		}
		/* exact names only: BPFTRACE_MAX_STRLEN */
		const struct cfg_key *k = find_key(name);
		if (!k)
			continue;
		char upper[128];
		snprintf(upper, sizeof upper, "BPFTRACE_%s", k->name);
		for (char *p = upper; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (strcmp(upper, name) == 0)
			ok &= apply_env_key(st, k, name, val, false);
	}
	return ok;
}

static bool apply_block(struct cfg_state *st, struct node *config)
{
	struct check *c = st->c;
	int before = c->d->errors;
	for (size_t i = 0; i < config->body.n; i++) {
		struct node *a = config->body.v[i];
		const struct cfg_key *k = find_key(a->str);
		struct node *e = a->b;
		if (!k) {
			err(c, a->loc, "Unrecognized config variable: %s", a->str);
			continue;
		}
		if (k->env_only) {
			err(c, a->loc, "%s can only be set as an environment variable", k->name);
			continue;
		}
		if (e->kind != N_INT && e->kind != N_STR && e->kind != N_STACK_MODE) {
			err(c, a->loc, "Assignemnt for %s must be literal.", a->str);
			continue;
		}
		const char *have = e->kind == N_INT ? "integer" :
				   e->kind == N_STR ? "string" : "stack mode";
		const char *want = k->type == C_STRING ? "string" :
				   k->type == C_STACK_MODE ? "stack mode" : "integer";
		if (strcmp(have, want) != 0) {
			err(c, a->loc, "Invalid type for %s. Type: %s. Expected Type: %s", a->str,
			    have, want);
			continue;
		}
		if (k->type == C_BOOL && e->num != 0 && e->num != 1) {
			diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
				 "Invalid value for %s. Needs to be 0 or 1. Value: %lld", a->str,
				 (long long)e->num);
			continue;
		}
		if (st->from_env[k - keys])
			continue; /* the environment wins */
		set_value(st, k, (uint64_t)e->num, e->str, a->loc, false);
	}
	return c->d->errors == before;
}

/* The block's values are literals; they get their types like any
 * expression of the ir (ir.md: every expression node has a type). */
static void type_literal(struct node *n, void *arg)
{
	if (n->kind > N_TUPLE)
		return;
	if (n->kind == N_INT)
		n->type = type_int(64, true);
	else if (n->kind == N_STR)
		n->type = type_string(n->len + 1);
	else if (n->kind == N_STACK_MODE)
		n->type = type_new(TY_STACK_MODE, 0);
	else
		n->type = type_none();
}

void config_type_values(struct node *program)
{
	if (program->c)
		node_walk(program->c, type_literal, NULL);
}

bool config_apply(struct check *c, struct node *program, const char **envp)
{
	struct cfg_state st = { .c = c };
	FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
	int aslr = 2;
	if (f) {
		if (fscanf(f, "%d", &aslr) != 1)
			aslr = 2;
		fclose(f);
	}
	if (aslr < 1 || c->o->child)
		c->meta->cfg.cache_user_symbols = "PER_PROGRAM";
	if (!apply_env(&st, envp))
		return false;
	if (program->c && !apply_block(&st, program->c))
		return false;
	c->max_ast_nodes = st.max_ast_nodes;
	return true;
}
