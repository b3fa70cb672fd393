/* perf.c - perf-event based providers: software and hardware event names
 * (docs/bpftrace-compat.md "perf events"), profile/interval units, and their
 * -l listings.
 */
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "perf_events.h"
#include "sys_int.h"

static const char *const time_units[] = { "hz", "ms", "s", "us" };

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
		for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++) {
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
		size_t n;
		const struct perf_event_def *t = perf_events(ap->provider, &n);
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
	if (!perf_event_find(ap->provider, what)) {
		if (listing)
			return true;
		diag_error(d, loc, "%s is not a %s probe", what, pname);
		return false;
	}
	VEC_PUSH(out, sys_ap_copy(ap));
	return true;
}
