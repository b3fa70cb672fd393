/* sys_perf.c - perf-event based providers: software and hardware event
 * names (brief §7.6), profile/interval units, and their -l listings.
 */
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

/* perf_event_attr.config values from linux/perf_event.h */
static const struct sys_perf_event sw_events[] = {
	{ "alignment-faults", NULL, 7, 1 },
	{ "bpf-output", NULL, 10, 1 },
	{ "context-switches", "cs", 3, 1000 },
	{ "cpu-clock", "cpu", 0, 1000000 },
	{ "cpu-migrations", NULL, 4, 1 },
	{ "dummy", NULL, 9, 1 },
	{ "emulation-faults", NULL, 8, 1 },
	{ "major-faults", NULL, 6, 1 },
	{ "minor-faults", NULL, 5, 100 },
	{ "page-faults", "faults", 2, 100 },
	{ "task-clock", NULL, 1, 1 },
};

static const struct sys_perf_event hw_events[] = {
	{ "backend-stalls", NULL, 8, 1000000 },
	{ "branch-instructions", "branches", 4, 100000 },
	{ "branch-misses", NULL, 5, 100000 },
	{ "bus-cycles", NULL, 6, 100000 },
	{ "cache-misses", NULL, 3, 1000000 },
	{ "cache-references", NULL, 2, 1000000 },
	{ "cpu-cycles", "cycles", 0, 1000000 },
	{ "frontend-stalls", NULL, 7, 1000000 },
	{ "instructions", NULL, 1, 1000000 },
	{ "ref-cycles", NULL, 9, 1000000 },
};

static const char *const time_units[] = { "hz", "ms", "s", "us" };

static void table(enum probe_type pt, const struct sys_perf_event **t,
		  size_t *n)
{
	if (pt == PT_HARDWARE) {
		*t = hw_events;
		*n = sizeof hw_events / sizeof hw_events[0];
	} else {
		*t = sw_events;
		*n = sizeof sw_events / sizeof sw_events[0];
	}
}

const struct sys_perf_event *sys_perf_event(enum probe_type pt,
					    const char *name)
{
	const struct sys_perf_event *t;
	size_t n;
	if (pt != PT_SOFTWARE && pt != PT_HARDWARE)
		return NULL;
	table(pt, &t, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0 ||
		    (t[i].alias && strcmp(t[i].alias, name) == 0))
			return &t[i];
	return NULL;
}

bool sys_expand_perf(struct sys *s, const struct attach_point *ap,
		     apvec *out, struct diags *d, struct loc loc,
		     unsigned flags)
{
	const char *what = ap->target ? ap->target : "";
	bool listing = flags & SYS_X_LISTING;
	if (ap->provider == PT_PROFILE || ap->provider == PT_INTERVAL) {
		if (!listing || !ap_has_wildcard(what)) {
			VEC_PUSH(out, sys_ap_copy(ap));
			return true;
		}
		for (size_t i = 0; i < 4; i++) {
			if (!ap_glob_match(what, time_units[i]))
				continue;
			struct attach_point *c = sys_ap_copy(ap);
			c->target = time_units[i];
			VEC_PUSH(out, c);
		}
		return true;
	}
	const char *pname = probe_type_name(ap->provider);
	if (ap_has_wildcard(what)) {
		if (!listing) {
			diag_error(d, loc,
				   "wildcards are not allowed for %s probe type",
				   pname);
			return false;
		}
		const struct sys_perf_event *t;
		size_t n;
		table(ap->provider, &t, &n);
		strvec names = { 0 };
		for (size_t i = 0; i < n; i++) {
			VEC_PUSH(&names, t[i].name);
			if (t[i].alias)
				VEC_PUSH(&names, t[i].alias);
		}
		sys_sort_unique(&names);
		for (size_t i = 0; i < names.n; i++) {
			if (!ap_glob_match(what, names.v[i]))
				continue;
			struct attach_point *c = sys_ap_copy(ap);
			c->target = names.v[i];
			VEC_PUSH(out, c);
		}
		return true;
	}
	if (!sys_perf_event(ap->provider, what)) {
		if (listing)
			return true;
		diag_error(d, loc, "%s is not a %s probe", what, pname);
		return false;
	}
	VEC_PUSH(out, sys_ap_copy(ap));
	return true;
}

void sys_perf_list(enum probe_type pt, const char *glob, FILE *out)
{
	(void)pt;
	(void)glob;
	(void)out;
}
