/* libclang.c - dlopen of libclang (see libclang.h for why). */
#include <dlfcn.h>
#include <stddef.h>

#include "libclang.h"

/* Debian's libclang1-16 soname first, then the LLVM tree's own copy. */
static const char *const libclang_names[] = {
	"libclang-16.so.1",
	"/usr/lib/llvm-16/lib/libclang-16.so.1",
	"libclang.so.1",
};

const struct libclang *libclang_open(const char **why)
{
	static struct libclang api;
	static int state;       /* 0 not tried, 1 loaded, -1 unavailable */
	static const char *error;
	if (state) {
		if (state < 0 && why)
			*why = error;
		return state > 0 ? &api : NULL;
	}
	state = -1;
	void *lib = NULL;
	for (size_t i = 0; !lib && i < sizeof libclang_names / sizeof libclang_names[0]; i++)
		lib = dlopen(libclang_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		error = "cannot load libclang (libclang-16.so.1): C definitions need it";
		if (why)
			*why = error;
		return NULL;
	}
#define LIBCLANG_LOAD(f)                                                       \
	if (!(*(void **)&api.f = dlsym(lib, #f))) {                            \
		error = "libclang lacks " #f;                                  \
		if (why)                                                       \
			*why = error;                                          \
		return NULL;                                                   \
	}
	LIBCLANG_FUNCS(LIBCLANG_LOAD)
#undef LIBCLANG_LOAD
	state = 1;
	return &api;
}
