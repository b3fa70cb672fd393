/* perf_events.c - the software and hardware perf event tables
 * (perf_events.h).  Names, aliases and default periods are bpftrace's. */
#include "perf_events.h"

#include <linux/perf_event.h>
#include <string.h>

static const struct perf_event_def sw_events[] = {
	{ "alignment-faults", NULL, PERF_COUNT_SW_ALIGNMENT_FAULTS, 1 },
	{ "bpf-output", NULL, PERF_COUNT_SW_BPF_OUTPUT, 1 },
	{ "context-switches", "cs", PERF_COUNT_SW_CONTEXT_SWITCHES, 1000 },
	{ "cpu-clock", "cpu", PERF_COUNT_SW_CPU_CLOCK, 1000000 },
	{ "cpu-migrations", NULL, PERF_COUNT_SW_CPU_MIGRATIONS, 1 },
	{ "dummy", NULL, PERF_COUNT_SW_DUMMY, 1 },
	{ "emulation-faults", NULL, PERF_COUNT_SW_EMULATION_FAULTS, 1 },
	{ "major-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1 },
	{ "minor-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MIN, 100 },
	{ "page-faults", "faults", PERF_COUNT_SW_PAGE_FAULTS, 100 },
	{ "task-clock", NULL, PERF_COUNT_SW_TASK_CLOCK, 1 },
};

static const struct perf_event_def hw_events[] = {
	{ "backend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, 1000000 },
	{ "branch-instructions", "branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 100000 },
	{ "branch-misses", NULL, PERF_COUNT_HW_BRANCH_MISSES, 100000 },
	{ "bus-cycles", NULL, PERF_COUNT_HW_BUS_CYCLES, 100000 },
	{ "cache-misses", NULL, PERF_COUNT_HW_CACHE_MISSES, 1000000 },
	{ "cache-references", NULL, PERF_COUNT_HW_CACHE_REFERENCES, 1000000 },
	{ "cpu-cycles", "cycles", PERF_COUNT_HW_CPU_CYCLES, 1000000 },
	{ "frontend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1000000 },
	{ "instructions", NULL, PERF_COUNT_HW_INSTRUCTIONS, 1000000 },
	{ "ref-cycles", NULL, PERF_COUNT_HW_REF_CPU_CYCLES, 1000000 },
};

const struct perf_event_def *perf_events(enum probe_type pt, size_t *n)
{
	switch (pt) {
	case PT_SOFTWARE:
		*n = sizeof sw_events / sizeof sw_events[0];
		return sw_events;
	case PT_HARDWARE:
		*n = sizeof hw_events / sizeof hw_events[0];
		return hw_events;
	default:
		*n = 0;
		return NULL;
	}
}

const struct perf_event_def *perf_event_find(enum probe_type pt,
					     const char *name)
{
	size_t n;
	const struct perf_event_def *t = perf_events(pt, &n);
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(t[i].name, name) == 0 ||
		    (t[i].alias && strcmp(t[i].alias, name) == 0))
			return &t[i];
	return NULL;
}
