/* hist.c - log2 and linear histograms of one map key, as text
 * (docs/bpftrace-compat.md "Text output", "Text output") and as JSON bucket
 * lists ("JSON output").
 *
 * Input: the bucket counts of one key by bucket index (hist: the index
 * of "Histogram buckets" with k bits; lhist: 0 = below min, 1..B, B+1 =
 * from max on).  Only the buckets from the first to the last non-zero one are printed.
 */
#include "fmt.h"

#define BAR_WIDTH 52

static bool trim(const uint64_t *v, uint32_t n, uint32_t *lo, uint32_t *hi, uint64_t *max)
{
	bool any = false;
	*max = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (v[i]) {
			if (!any)
				*lo = i;
			*hi = i;
			any = true;
		}
		if (v[i] > *max)
			*max = v[i];
	}
	return any;
}

/* "header" left-aligned in 16, count right-aligned in 8, then the bar. */
static void hist_line(struct sbuf *b, const char *hdr, size_t hlen, uint64_t shown,
		      uint64_t count, uint64_t max)
{
	sb_put(b, hdr, hlen);
	sb_spaces(b, 16 - (int)hlen);
	char num[24];
	int nl = snprintf(num, sizeof num, "%llu", (unsigned long long)shown);
	sb_spaces(b, 8 - nl);
	sb_put(b, num, (size_t)nl);
	sb_puts(b, " |");
	/* float arithmetic as upstream: count / (float)max * 52, truncated */
	float r = (float)count / (float)max;
	r = r * (float)BAR_WIDTH;
	int w = (int)r;
	if (w < 0)
		w = 0;
	char *o = sb_reserve(b, (size_t)(w > BAR_WIDTH ? w : BAR_WIDTH));
	memset(o, '@', (size_t)w);
	b->len += (size_t)w;
	sb_spaces(b, BAR_WIDTH - w);
	sb_puts(b, "|\n");
}

/* Start of the range of log2 bucket idx (idx >= 2^k): text with suffix. */
static int hist_label(char *buf, size_t sz, uint32_t idx, int k)
{
	uint32_t n = 1u << k, interval = idx & (n - 1);
	uint32_t power = (idx >> k) - 1;
	uint32_t decade = power / 10;
	static const char suffix[] = "\0KMGTPEZY";
	power -= 10 * decade;
	unsigned long long v = (1ULL << power) * (n + interval);
	if (decade && decade < sizeof suffix - 1)
		return snprintf(buf, sz, "%llu%c", v, suffix[decade]);
	return snprintf(buf, sz, "%llu", v);
}

/* Start of the range of log2 bucket idx as a number (wraps past 2^64). */
static uint64_t hist_value(uint32_t idx, int k)
{
	uint32_t n = 1u << k, interval = idx & (n - 1);
	uint32_t power = (idx >> k) - 1;
	if (power >= 64)
		return 0;
	return (1ULL << power) * (n + interval);
}

int hist_bucket_label(char *buf, size_t sz, uint32_t i, int k)
{
	uint32_t nsingle = 2u << k;  /* buckets 1..2n hold one value each */
	if (i == 0)
		return snprintf(buf, sz, "(..., 0)");
	if (i <= nsingle)
		return snprintf(buf, sz, "[%u]", i - 1);
	char a[24], c[24];
	hist_label(a, sizeof a, i - 1, k);
	hist_label(c, sizeof c, i, k);
	return snprintf(buf, sz, "[%s, %s)", a, c);
}

void hist_text(struct sbuf *b, const uint64_t *v, uint32_t n, uint64_t div, int k)
{
	uint32_t lo = 0, hi = 0;
	uint64_t max;
	if (!trim(v, n, &lo, &hi, &max))
		return;
	for (uint32_t i = lo; i <= hi; i++) {
		char hdr[64];
		int hl = hist_bucket_label(hdr, sizeof hdr, i, k);
		hist_line(b, hdr, (size_t)hl, v[i] / div, v[i], max);
	}
}

void hist_json(struct sbuf *b, const uint64_t *v, uint32_t n, uint64_t div, int k)
{
	uint32_t lo = 0, hi = 0;
	uint64_t max;
	sb_putc(b, '[');
	if (trim(v, n, &lo, &hi, &max)) {
		uint32_t nsingle = 2u << k;
		for (uint32_t i = lo; i <= hi; i++) {
			if (i > lo)
				sb_puts(b, ", ");
			if (i == 0)
				sb_puts(b, "{\"max\": -1, ");
			else if (i <= nsingle)
				sb_printf(b, "{\"min\": %u, \"max\": %u, ", i - 1, i - 1);
			else
				sb_printf(b, "{\"min\": %llu, \"max\": %llu, ",
					  (unsigned long long)hist_value(i - 1, k),
					  (unsigned long long)(hist_value(i, k) - 1));
			sb_puts(b, "\"count\": ");
			sb_u64(b, v[i] / div);
			sb_putc(b, '}');
		}
	}
	sb_putc(b, ']');
}

/* lhist labels: 0, <x>M, <x>K or the number. */
static int lhist_label(char *buf, size_t sz, int64_t x)
{
	if (x == 0)
		return snprintf(buf, sz, "0");
	if (x % 1048576 == 0)
		return snprintf(buf, sz, "%lldM", (long long)(x / 1048576));
	if (x % 1024 == 0)
		return snprintf(buf, sz, "%lldK", (long long)(x / 1024));
	return snprintf(buf, sz, "%lld", (long long)x);
}

static uint32_t lhist_buckets(int64_t min, int64_t max, int64_t step)
{
	if (step <= 0 || max < min)
		return 0;
	return (uint32_t)((max - min) / step);
}

int lhist_bucket_label(char *buf, size_t sz, uint32_t i, int64_t min, int64_t max, int64_t step)
{
	char a[32], c[32];
	if (i == 0) {
		lhist_label(a, sizeof a, min);
		return snprintf(buf, sz, "(..., %s)", a);
	}
	if (i == lhist_buckets(min, max, step) + 1) {
		lhist_label(a, sizeof a, max);
		return snprintf(buf, sz, "[%s, ...)", a);
	}
	lhist_label(a, sizeof a, (int64_t)(i - 1) * step + min);
	lhist_label(c, sizeof c, (int64_t)i * step + min);
	return snprintf(buf, sz, "[%s, %s)", a, c);
}

void lhist_text(struct sbuf *b, const uint64_t *v, uint32_t n, int64_t min, int64_t max,
		int64_t step)
{
	uint32_t nb = lhist_buckets(min, max, step);
	if (n > nb + 2)
		n = nb + 2;
	uint32_t lo = 0, hi = 0;
	uint64_t mx;
	if (!trim(v, n, &lo, &hi, &mx))
		return;
	for (uint32_t i = lo; i <= hi; i++) {
		char hdr[96];
		int hl = lhist_bucket_label(hdr, sizeof hdr, i, min, max, step);
		hist_line(b, hdr, (size_t)hl, v[i], v[i], mx);
	}
}

void lhist_json(struct sbuf *b, const uint64_t *v, uint32_t n, int64_t min, int64_t max,
		int64_t step)
{
	uint32_t nb = lhist_buckets(min, max, step);
	if (n > nb + 2)
		n = nb + 2;
	uint32_t lo = 0, hi = 0;
	uint64_t mx;
	sb_putc(b, '[');
	if (trim(v, n, &lo, &hi, &mx)) {
		for (uint32_t i = lo; i <= hi; i++) {
			if (i > lo)
				sb_puts(b, ", ");
			if (i == 0)
				sb_printf(b, "{\"max\": %lld, ", (long long)(min - 1));
			else if (i == nb + 1)
				sb_printf(b, "{\"min\": %lld, ", (long long)max);
			else
				sb_printf(b, "{\"min\": %lld, \"max\": %lld, ",
					  (long long)((int64_t)(i - 1) * step + min),
					  (long long)((int64_t)i * step + min - 1));
			sb_puts(b, "\"count\": ");
			sb_u64(b, v[i]);
			sb_putc(b, '}');
		}
	}
	sb_putc(b, ']');
}
