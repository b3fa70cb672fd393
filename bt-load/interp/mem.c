/* mem.c - the interpreter's memory regions.
 *
 * A program never holds a host pointer: an address is a region id (high
 * 32 bits) and an offset (low 32 bits), so NULL, integers passed off as
 * pointers and pointer arithmetic past either end all land outside every
 * region and are refused by vm_mem().  Region 1 is the stack, 2 the
 * context, the others are map handles and map values, created with their
 * entries.  A value deleted while a program runs may still be written
 * through a pointer it holds (in the kernel too, until the next grace
 * period): its region is only freed when the run ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static void *grow(void *p, uint32_t *cap, uint32_t want, size_t elem)
{
	if (want <= *cap)
		return p;
	uint32_t c = *cap ? *cap : 64;
	while (c < want)
		c *= 2;
	void *np = realloc(p, (size_t)c * elem);
	if (!np) {
		fputs("bt-load: out of memory\n", stderr);
		abort();
	}
	*cap = c;
	return np;
}

uint32_t region_new(struct vm *vm, void *base, uint32_t size, bool writable)
{
	uint32_t id;
	if (vm->nfree) {
		id = vm->free_regions[--vm->nfree];
	} else {
		vm->regions = grow(vm->regions, &vm->cap_regions, vm->nregions + 1,
				   sizeof *vm->regions);
		id = vm->nregions++;
	}
	vm->regions[id] = (struct region){ .base = base, .size = size, .writable = writable };
	return id;
}

void region_free(struct vm *vm, uint32_t id)
{
	if (id < REGION_FIRST_DYNAMIC || id >= vm->nregions)
		return;
	vm->regions[id] = (struct region){ 0 };
	vm->free_regions = grow(vm->free_regions, &vm->cap_free, vm->nfree + 1, sizeof(uint32_t));
	vm->free_regions[vm->nfree++] = id;
}

void region_retire(struct vm *vm, uint32_t id)
{
	if (!vm->running) {
		free(vm->regions[id].base);
		region_free(vm, id);
		return;
	}
	vm->dead = grow(vm->dead, &vm->cap_dead, vm->ndead + 1, sizeof(uint32_t));
	vm->dead[vm->ndead++] = id;
}

void regions_reap(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->ndead; i++) {
		free(vm->regions[vm->dead[i]].base);
		region_free(vm, vm->dead[i]);
	}
	vm->ndead = 0;
}

const char *region_what(struct vm *vm, uint64_t addr, char *buf, size_t n)
{
	uint64_t id = addr >> 32;
	if (id == REGION_NONE)
		snprintf(buf, n, "no memory (NULL or an integer)");
	else if (id == REGION_STACK)
		snprintf(buf, n, "the stack (%u bytes)", vm->regions[id].size);
	else if (id == REGION_CTX)
		snprintf(buf, n, "the probe's context (%u bytes)", vm->regions[id].size);
	else if (id >= vm->nregions || (!vm->regions[id].size && !vm->regions[id].map))
		snprintf(buf, n, "no memory");
	else if (vm->regions[id].map)
		snprintf(buf, n, "map %s itself", vm_map_name(vm->regions[id].map));
	else
		snprintf(buf, n, "a %u-byte map value%s", vm->regions[id].size,
			 vm->regions[id].writable ? "" : " (read-only)");
	return buf;
}
