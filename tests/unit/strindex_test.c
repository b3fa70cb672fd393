/* strindex_test.c - the name index of libcommon/strindex.h: every name put
 * is found with its latest value, names never put are not, across the
 * index's growth (run by tests/libcommon.bats). */
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "strindex.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); exit(2); } } while (0)

int main(void)
{
	enum { N = 100000 };
	struct strindex ix = { 0 };
	CHECK(strindex_get(&ix, "@x") == NULL);
	static int values[N];
	for (int i = 0; i < N; i++)
		strindex_put(&ix, arena_printf("@m%d", i), &values[i]);
	strindex_put(&ix, arena_printf("@m%d", 7), &values[8]);
	CHECK(ix.n == N);
	for (int i = 0; i < N; i++)
		CHECK(strindex_get(&ix, arena_printf("@m%d", i)) == &values[i == 7 ? 8 : i]);
	CHECK(strindex_get(&ix, "@m") == NULL);
	CHECK(strindex_get(&ix, "") == NULL);
	CHECK(strindex_get(&ix, arena_printf("@m%d", N)) == NULL);
	arena_free_all();
	puts("ok");
	return 0;
}
