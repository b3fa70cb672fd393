/* helpers.c - the BPF helpers, as far as userspace can answer them
 * truthfully, for the process running the interpreter (bt-load, named
 * bpftrace): pid/tid, uid/gid, comm and cgroup are its own, the CPU is 0,
 * clocks are the kernel's (monotonic, boot, TAI, coarse).  probe_read*
 * read the interpreter's own memory only (the stack, map values, the
 * context); any other address fails with -EFAULT and a zeroed buffer, as
 * the kernel fails on an unmapped address.  trace_printk formats its
 * message and hands it to vm->env.
 *
 * Helpers that need the kernel (stacks, the current task, kernel memory
 * through d_path, perf buffers, signals, ...) are refused before the
 * program runs: vm_helper_refusal() names the builtin that uses them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

/* Helpers bt-codegen emits that only the kernel can answer: the builtin
 * (or feature) that uses each. */
static const struct {
	int id;
	const char *builtin;
} needs_kernel[] = {
	{ BPF_FUNC_get_stackid, "kstack/ustack" },
	{ BPF_FUNC_get_stack, "kstack/ustack" },
	{ BPF_FUNC_get_current_task, "curtask" },
	{ BPF_FUNC_get_current_task_btf, "curtask" },
	{ BPF_FUNC_get_func_ip, "func" },
	{ BPF_FUNC_jiffies64, "jiffies" },
	{ BPF_FUNC_d_path, "path()" },
	{ BPF_FUNC_seq_printf, "printf() in an iter probe" },
	{ BPF_FUNC_skb_output, "skboutput()" },
	{ BPF_FUNC_send_signal, "signal()" },
	{ BPF_FUNC_send_signal_thread, "signal()" },
	{ BPF_FUNC_override_return, "override()" },
	{ BPF_FUNC_probe_write_user, "bpf_probe_write_user()" },
	{ BPF_FUNC_perf_event_output, "perf event output" },
	{ BPF_FUNC_get_current_ancestor_cgroup_id, "the ancestor cgroup id" },
	{ BPF_FUNC_get_ns_current_pid_tgid, "pid/tid in a pid namespace" },
	{ BPF_FUNC_get_func_arg, "args" },
	{ BPF_FUNC_get_func_ret, "retval" },
	{ BPF_FUNC_get_func_arg_cnt, "args" },
	{ BPF_FUNC_copy_from_user, "user memory reads" },
	{ BPF_FUNC_copy_from_user_task, "user memory reads" },
	{ BPF_FUNC_find_vma, "find_vma" },
};

static bool emulated(int id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem: case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem: case BPF_FUNC_probe_read:
	case BPF_FUNC_probe_read_kernel: case BPF_FUNC_probe_read_user:
	case BPF_FUNC_probe_read_str: case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_probe_read_user_str: case BPF_FUNC_ktime_get_ns:
	case BPF_FUNC_ktime_get_boot_ns: case BPF_FUNC_ktime_get_tai_ns:
	case BPF_FUNC_ktime_get_coarse_ns: case BPF_FUNC_trace_printk:
	case BPF_FUNC_get_prandom_u32: case BPF_FUNC_get_smp_processor_id:
	case BPF_FUNC_get_numa_node_id: case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid: case BPF_FUNC_get_current_comm:
	case BPF_FUNC_get_current_cgroup_id: case BPF_FUNC_get_attach_cookie:
	case BPF_FUNC_ringbuf_output: case BPF_FUNC_ringbuf_query:
	case BPF_FUNC_for_each_map_elem: case BPF_FUNC_loop: case BPF_FUNC_strncmp:
		return true;
	default:
		return false;
	}
}

const char *vm_helper_refusal(int id)
{
	static char why[160];
	for (size_t i = 0; i < sizeof needs_kernel / sizeof *needs_kernel; i++)
		if (needs_kernel[i].id == id) {
			snprintf(why, sizeof why,
				 "%s needs the kernel (helper %d): it cannot be interpreted",
				 needs_kernel[i].builtin, id);
			return why;
		}
	if (emulated(id))
		return NULL;
	snprintf(why, sizeof why, "helper %d cannot be interpreted", id);
	return why;
}

static int helper_fail(struct vm *vm, const char *what, uint64_t addr, uint64_t size)
{
	char where[128];
	snprintf(vm->err, sizeof vm->err, "%s: %llu bytes at 0x%016llx are outside %s", what,
		 (unsigned long long)size, (unsigned long long)addr,
		 region_what(vm, addr, where, sizeof where));
	return -1;
}

static uint64_t clock_of(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct vm_map *map_arg(struct vm *vm, uint64_t a)
{
	uint64_t id = a >> 32;
	return (uint32_t)a == 0 && id < vm->nregions ? vm->regions[id].map : NULL;
}

/* probe_read_str: up to size-1 bytes until a NUL, NUL-terminated; the
 * length with the NUL, or -EFAULT (buffer zeroed) if src leaves its
 * region first. */
static int64_t read_str(struct vm *vm, uint8_t *dst, uint32_t size, uint64_t src)
{
	if (size == 0)
		return -EINVAL;
	for (uint32_t i = 0; i + 1 < size; i++) {
		const uint8_t *s = vm_mem(vm, src + i, 1, false);
		if (!s) {
			memset(dst, 0, size);
			return -EFAULT;
		}
		dst[i] = *s;
		if (!*s)
			return i + 1;
	}
	dst[size - 1] = '\0';
	return size;
}

/* trace_printk's format: %d %i %u %x %X %ld %lld %lu %llu %lx %llx %p %s
 * %c %% with up to three arguments, as the kernel accepts them. */
static int64_t trace_printk(struct vm *vm, const char *fmt, uint32_t n, const uint64_t *args)
{
	char out[1024];
	size_t o = 0;
	int ai = 0;
	for (uint32_t i = 0; i < n && fmt[i] && o < sizeof out - 1;) {
		if (fmt[i] != '%') {
			out[o++] = fmt[i++];
			continue;
		}
		uint32_t st = i++;
		if (i < n && fmt[i] == '%') {
			out[o++] = '%';
			i++;
			continue;
		}
		while (i < n && strchr("-+ #0123456789.", fmt[i]))
			i++;
		int l = 0;
		while (i < n && fmt[i] == 'l') {
			l++;
			i++;
		}
		if (i >= n || ai >= 3)
			return -EINVAL;
		char conv = fmt[i++];
		char spec[32];
		uint32_t flen = (uint32_t)(i - st - 1 - l);
		if (flen + 5 > sizeof spec)
			return -EINVAL;
		memcpy(spec, fmt + st, flen);
		uint64_t v = args[ai++];
		char piece[512];
		int w;
		if (conv == 's') {
			char s[256];
			int64_t k = read_str(vm, (uint8_t *)s, sizeof s, v);
			if (k < 0)
				snprintf(s, sizeof s, "(efault)");
			strcpy(spec + flen, "s");
			w = snprintf(piece, sizeof piece, spec, s);
		} else if (conv == 'c') {
			strcpy(spec + flen, "c");
			w = snprintf(piece, sizeof piece, spec, (int)(char)v);
		} else if (conv == 'p') {
			strcpy(spec + flen, "llx");
			w = snprintf(piece, sizeof piece, "0x");
			w += snprintf(piece + w, sizeof piece - (size_t)w, spec,
				      (unsigned long long)v);
		} else if (strchr("diuxX", conv)) {
			spec[flen] = 'l';
			spec[flen + 1] = 'l';
			spec[flen + 2] = conv;
			spec[flen + 3] = '\0';
			if (l == 0)   /* int-sized */
				v = conv == 'd' || conv == 'i' ? (uint64_t)(int64_t)(int32_t)v
							       : (uint32_t)v;
			if (conv == 'd' || conv == 'i')
				w = snprintf(piece, sizeof piece, spec, (long long)v);
			else
				w = snprintf(piece, sizeof piece, spec, (unsigned long long)v);
		} else {
			return -EINVAL;
		}
		for (int k = 0; k < w && (size_t)k < sizeof piece - 1 && o < sizeof out - 1; k++)
			out[o++] = piece[k];
	}
	out[o] = '\0';
	if (vm->env.trace_printk)
		vm->env.trace_printk(vm->env.ctx, out, o);
	return (int64_t)o;
}

struct each_ctx {
	struct vm *vm;
	int prog;
	uint32_t pc;
	uint64_t map_addr, cb_ctx;
	int err;
};

static int each_one(void *p, const void *key, uint64_t value_addr)
{
	struct each_ctx *c = p;
	struct vm_map *m = c->vm->regions[c->map_addr >> 32].map;
	/* the key as the callback sees it: a read-only copy */
	uint32_t ksz = vm_map_key_size(m);
	uint8_t *copy = malloc(ksz);
	if (!copy) {
		c->err = -1;
		return 1;
	}
	memcpy(copy, key, ksz);
	uint32_t kr = region_new(c->vm, copy, ksz, false);
	uint64_t args[5] = { c->map_addr, region_addr(kr, 0), value_addr, c->cb_ctx, 0 };
	uint64_t ret = 0;
	int r = vm_call(c->vm, c->prog, c->pc, args, &ret);
	region_retire(c->vm, kr);
	if (r < 0) {
		c->err = -1;
		return 1;
	}
	return ret != 0;
}

static bool callback_of(uint64_t a, uint32_t *pc)
{
	if ((a >> 32) != VM_CODE_REGION)
		return false;
	*pc = (uint32_t)a;
	return true;
}

int vm_helper(struct vm *vm, int p, int id, uint64_t r[11])
{
	uint64_t a1 = r[1], a2 = r[2], a3 = r[3], a4 = r[4];
	int64_t ret = 0;
	switch (id) {
	case BPF_FUNC_map_lookup_elem: case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem: {
		struct vm_map *m = map_arg(vm, a1);
		if (!m) {
			snprintf(vm->err, sizeof vm->err, "map helper %d called without a map", id);
			return -1;
		}
		const uint8_t *key = vm_mem(vm, a2, vm_map_key_size(m), false);
		if (!key)
			return helper_fail(vm, "map key", a2, vm_map_key_size(m));
		if (id == BPF_FUNC_map_lookup_elem) {
			ret = (int64_t)vm_map_lookup_addr(vm, m, key);
		} else if (id == BPF_FUNC_map_delete_elem) {
			ret = vm_map_delete(vm, m, key);
		} else {
			const uint8_t *val = vm_mem(vm, a3, vm_map_value_size(m), false);
			if (!val)
				return helper_fail(vm, "map value", a3, vm_map_value_size(m));
			ret = vm_map_update(vm, m, key, val, a4);
		}
		break;
	}
	case BPF_FUNC_probe_read: case BPF_FUNC_probe_read_kernel: case BPF_FUNC_probe_read_user: {
		uint8_t *dst = vm_mem(vm, a1, (uint32_t)a2, true);
		if (!dst)
			return helper_fail(vm, "probe_read destination", a1, (uint32_t)a2);
		const uint8_t *src = vm_mem(vm, a3, (uint32_t)a2, false);
		if (src) {
			memmove(dst, src, (uint32_t)a2);
		} else {
			memset(dst, 0, (uint32_t)a2);
			ret = -EFAULT;
		}
		break;
	}
	case BPF_FUNC_probe_read_str: case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_probe_read_user_str: {
		uint8_t *dst = vm_mem(vm, a1, (uint32_t)a2, true);
		if (!dst)
			return helper_fail(vm, "probe_read_str destination", a1, (uint32_t)a2);
		ret = read_str(vm, dst, (uint32_t)a2, a3);
		break;
	}
	case BPF_FUNC_ktime_get_ns: ret = (int64_t)clock_of(CLOCK_MONOTONIC); break;
	case BPF_FUNC_ktime_get_boot_ns: ret = (int64_t)clock_of(CLOCK_BOOTTIME); break;
	case BPF_FUNC_ktime_get_tai_ns: ret = (int64_t)clock_of(CLOCK_TAI); break;
	case BPF_FUNC_ktime_get_coarse_ns: ret = (int64_t)clock_of(CLOCK_MONOTONIC_COARSE); break;
	case BPF_FUNC_get_prandom_u32:
		vm->rng ^= vm->rng << 13;
		vm->rng ^= vm->rng >> 7;
		vm->rng ^= vm->rng << 17;
		ret = (uint32_t)(vm->rng >> 11);
		break;
	case BPF_FUNC_get_smp_processor_id: case BPF_FUNC_get_numa_node_id:
		ret = 0;
		break;
	case BPF_FUNC_get_current_pid_tgid:
		ret = (int64_t)((uint64_t)getpid() << 32 | (uint32_t)gettid());
		break;
	case BPF_FUNC_get_current_uid_gid:
		ret = (int64_t)((uint64_t)getgid() << 32 | (uint32_t)getuid());
		break;
	case BPF_FUNC_get_current_comm: {
		uint8_t *dst = vm_mem(vm, a1, (uint32_t)a2, true);
		if (!dst || a2 == 0)
			return helper_fail(vm, "comm buffer", a1, (uint32_t)a2);
		char comm[17] = "";
		prctl(PR_GET_NAME, comm, 0, 0, 0);
		memset(dst, 0, (uint32_t)a2);
		size_t n = strnlen(comm, 16);
		memcpy(dst, comm, n < a2 - 1 ? n : a2 - 1);
		break;
	}
	case BPF_FUNC_get_current_cgroup_id: ret = (int64_t)vm->cgroup_id; break;
	case BPF_FUNC_get_attach_cookie: ret = (int64_t)vm->cookie; break;
	case BPF_FUNC_trace_printk: {
		const uint8_t *fmt = vm_mem(vm, a1, (uint32_t)a2, false);
		if (!fmt || a2 == 0)
			return helper_fail(vm, "trace_printk format", a1, (uint32_t)a2);
		ret = trace_printk(vm, (const char *)fmt, (uint32_t)a2, &r[3]);
		break;
	}
	case BPF_FUNC_ringbuf_output: {
		struct vm_map *m = map_arg(vm, a1);
		const uint8_t *data = vm_mem(vm, a2, a3, false);
		if (!m)
			return helper_fail(vm, "ring buffer", a1, 0);
		if (!data)
			return helper_fail(vm, "ring buffer record", a2, a3);
		ret = vm_ring_output(m, data, a3);
		break;
	}
	case BPF_FUNC_ringbuf_query: {
		struct vm_map *m = map_arg(vm, a1);
		if (!m)
			return helper_fail(vm, "ring buffer", a1, 0);
		ret = (int64_t)vm_ring_query(m, a2);
		break;
	}
	case BPF_FUNC_for_each_map_elem: {
		struct vm_map *m = map_arg(vm, a1);
		uint32_t pc;
		if (!m || !callback_of(a2, &pc)) {
			snprintf(vm->err, sizeof vm->err, "for_each_map_elem: bad map or callback");
			return -1;
		}
		struct each_ctx c = { vm, p, pc, a1, a3, 0 };
		ret = vm_map_each(vm, m, each_one, &c);
		if (c.err)
			return -1;
		break;
	}
	case BPF_FUNC_loop: {
		uint32_t pc;
		if (!callback_of(a2, &pc)) {
			snprintf(vm->err, sizeof vm->err, "loop: bad callback");
			return -1;
		}
		if (a1 > (1u << 23)) {
			ret = -E2BIG;
			break;
		}
		uint64_t i;
		for (i = 0; i < a1; i++) {
			uint64_t args[5] = { i, a3, 0, 0, 0 }, rv;
			if (vm_call(vm, p, pc, args, &rv) < 0)
				return -1;
			if (rv) {
				i++;
				break;
			}
		}
		ret = (int64_t)i;
		break;
	}
	case BPF_FUNC_strncmp: {
		const uint8_t *s1 = vm_mem(vm, a1, (uint32_t)a2, false);
		if (!s1)
			return helper_fail(vm, "strncmp string", a1, (uint32_t)a2);
		uint32_t i;
		for (i = 0; i < (uint32_t)a2; i++) {
			const uint8_t *c2 = vm_mem(vm, a3 + i, 1, false);
			if (!c2)
				return helper_fail(vm, "strncmp string", a3, i + 1);
			if (s1[i] != *c2 || !s1[i]) {
				ret = s1[i] < *c2 ? -1 : s1[i] > *c2;
				break;
			}
		}
		break;
	}
	default:
		snprintf(vm->err, sizeof vm->err, "%s", vm_helper_refusal(id));
		return -1;
	}
	r[0] = (uint64_t)ret;
	return 0;
}
