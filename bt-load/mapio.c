/* mapio.c - a map's entries, wherever the program runs: the kernel's maps
 * through their fds, or the interpreter's (bt->vm, --interpret).  Values
 * of per-CPU maps come as the kernel's syscalls give them: one slot per
 * CPU (bt->ncpus, 1 in the interpreter), each rounded up to 8 bytes.
 * Results: 0 or -errno.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "interp/vm.h"
#include "load.h"

static int ret_of(int r)
{
	return r < 0 ? -errno : 0;
}

static bool percpu(struct bpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m);
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int mapio_lookup(struct bt *bt, struct bpf_map *m, const void *key, void *val)
{
	if (!bt->vm)
		return ret_of(bpf_map_lookup_elem(bpf_map__fd(m), key, val));
	struct vm_map *vm_m = interp_map(bt, m);
	const uint8_t *v = vm_m ? vm_map_lookup(bt->vm, vm_m, key) : NULL;
	if (!v)
		return -ENOENT;
	uint32_t n = bpf_map__value_size(m);
	memcpy(val, v, n);
	if (percpu(m))
		memset((uint8_t *)val + n, 0, ((n + 7) & ~7u) - n);
	return 0;
}

int mapio_update(struct bt *bt, struct bpf_map *m, const void *key, const void *val,
		 uint64_t flags)
{
	if (!bt->vm)
		return ret_of(bpf_map_update_elem(bpf_map__fd(m), key, val, flags));
	struct vm_map *vm_m = interp_map(bt, m);
	return vm_m ? vm_map_update(bt->vm, vm_m, key, val, flags) : -ENOENT;
}

int mapio_delete(struct bt *bt, struct bpf_map *m, const void *key)
{
	if (!bt->vm)
		return ret_of(bpf_map_delete_elem(bpf_map__fd(m), key));
	struct vm_map *vm_m = interp_map(bt, m);
	return vm_m ? vm_map_delete(bt->vm, vm_m, key) : -ENOENT;
}

int mapio_next_key(struct bt *bt, struct bpf_map *m, const void *prev, void *next)
{
	if (!bt->vm)
		return ret_of(bpf_map_get_next_key(bpf_map__fd(m), prev, next));
	struct vm_map *vm_m = interp_map(bt, m);
	return vm_m ? vm_map_next_key(bt->vm, vm_m, prev, next) : -ENOENT;
}
