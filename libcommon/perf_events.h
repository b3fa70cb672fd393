/* perf_events.h - bpftrace's software and hardware perf events
 * (docs/bpftrace-compat.md "perf events"): each name, its alias, the
 * perf_event_attr.config value and the sample period used when the probe
 * gives no count.  One table for the tools that check these names (bt-check)
 * and open the events (bt-load).
 */
#ifndef BT_PERF_EVENTS_H
#define BT_PERF_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "probe_types.h"

struct perf_event_def {
	const char *name;         /* "context-switches" */
	const char *alias;        /* "cs", or NULL */
	uint64_t config;          /* PERF_COUNT_SW_* / PERF_COUNT_HW_* */
	uint64_t default_period;  /* sample period when the count is 0 */
};

/* The events of PT_SOFTWARE or PT_HARDWARE, sorted by name (*n set);
 * NULL with *n = 0 for any other provider. */
const struct perf_event_def *perf_events(enum probe_type pt, size_t *n);

/* The event called name (its name or its alias) of provider pt; NULL if
 * there is none. */
const struct perf_event_def *perf_event_find(enum probe_type pt,
					     const char *name);

#endif
