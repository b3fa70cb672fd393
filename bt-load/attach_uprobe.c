/* attach_uprobe.c - uprobe/uretprobe (function, function+offset, address)
 * and usdt (one uprobe per location, the semaphore activated through the
 * kernel's uprobe reference counter).  Targets come resolved from
 * bt-check (full paths); symbols are looked up here only to turn them
 * into file offsets.  -p/-c restrict the probes to the target process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "load.h"

static pid_t uprobe_pid(struct bt *bt)
{
	return bt->target_pid ? bt->target_pid : -1;
}

/* When the target path is relative to a -p process, use its root. */
static const char *target_path(struct bt *bt, const char *path, char *buf, size_t n)
{
	if (path && path[0] != '/' && bt->target_pid) {
		snprintf(buf, n, "/proc/%d/exe", (int)bt->target_pid);
		return buf;
	}
	return path;
}

int attach_uprobe(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	char buf[64];
	const char *path = ap ? target_path(bt, ap->target, buf, sizeof buf) : NULL;
	if (!path)
		return -1;
	struct elfsyms *es = elfsyms_get(path);
	if (!es) {
		bt_error("Could not open %s: %s", path, strerror(errno));
		return -2;
	}
	uint64_t vaddr;
	if (ap->func && *ap->func) {
		uint64_t size;
		if (!elfsyms_name(es, ap->func, &vaddr, &size)) {
			bt_error("Could not resolve symbol: %s:%s", path, ap->func);
			return -2;
		}
		vaddr += ap->func_offset;
	} else {
		vaddr = ap->address;
	}
	uint64_t off = elfsyms_file_offset(es, vaddr);
	if (off == (uint64_t)-1) {
		bt_error("Could not resolve address: %s:0x%llx", path, (unsigned long long)vaddr);
		return -2;
	}
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = mp->type == PT_URETPROBE,
		    .bpf_cookie = m->cookie);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog_of(bt, p), uprobe_pid(bt), path,
							     (size_t)off, &o);
	if (!l)
		return -1;
	hold_link(bt, p, l);
	return 0;
}

int attach_usdt(struct bt *bt, uint32_t p, uint32_t a)
{
	const struct meta_probe *mp = &bt->meta.probes.v[p];
	const struct meta_attach *m = &mp->attach[a];
	const struct attach_point *ap = m->ap;
	char buf[64];
	const char *path = ap ? target_path(bt, ap->target, buf, sizeof buf) : NULL;
	if (!path || !ap->func)
		return -1;
	struct elfsyms *es = elfsyms_get(path);
	struct usdt_loc locs[256];
	int n = elfsyms_usdt(es, ap->ns, ap->func, locs, 256);
	if (n > 256)
		n = 256;
	int attached = 0;
	for (int i = 0; i < n; i++) {
		if (ap->address && locs[i].pc != ap->address)
			continue;
		uint64_t off = elfsyms_file_offset(es, locs[i].pc);
		uint64_t sem = locs[i].semaphore ? elfsyms_file_offset(es, locs[i].semaphore) : 0;
		if (off == (uint64_t)-1 || sem == (uint64_t)-1)
			continue;
		LIBBPF_OPTS(bpf_uprobe_opts, o, .ref_ctr_offset = (size_t)sem,
			    .bpf_cookie = m->cookie);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(prog_of(bt, p), uprobe_pid(bt),
								     path, (size_t)off, &o);
		if (!l)
			return -1;
		hold_link(bt, p, l);
		attached++;
	}
	if (!attached) {
		bt_error("Could not find USDT probe %s:%s:%s", path, ap->ns ? ap->ns : "",
			 ap->func);
		return -2;
	}
	return 0;
}
