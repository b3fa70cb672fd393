/* plot.c - `--plot FILE.svg`: hist() and lhist() maps as bar charts, one
 * panel per map key, the buckets as bpftrace's text histogram shows them
 * (first to last non-empty bucket, its range labels), for reports.  Keys
 * seen in several input streams add up.
 */
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WIDTH 900
#define ROW_H 18
#define LABEL_W 150
#define BAR_MAX 600
#define PANEL_GAP 36

struct plot_panel {
	char *title;
	const char *map;
	bool lhist;
	int k;                       /* hist: bits */
	int64_t min, max, step;      /* lhist */
	uint64_t *buckets;
	uint32_t n;
};

static struct plot_panel *panels;
static uint32_t npanels, cappanels;

void plot_add(const char *map, const char *key, const uint64_t *buckets, uint32_t n,
	      const struct meta_map *m, uint64_t div)
{
	struct plot_panel *p = NULL;
	for (uint32_t i = 0; i < npanels && !p; i++)
		if (strcmp(panels[i].title, key) == 0)
			p = &panels[i];
	if (!p) {
		if (npanels == cappanels) {
			cappanels = cappanels ? 2 * cappanels : 16;
			panels = realloc(panels, cappanels * sizeof *panels);
			if (!panels)
				abort();
		}
		p = &panels[npanels++];
		*p = (struct plot_panel){ .title = strdup(key), .map = map,
					  .lhist = m->value->kind == TY_LHIST, .k = m->hist_bits,
					  .min = m->lh_min, .max = m->lh_max, .step = m->lh_step };
		if (!p->title)
			abort();
	}
	if (n > p->n) {
		p->buckets = realloc(p->buckets, n * sizeof *p->buckets);
		if (!p->buckets)
			abort();
		memset(p->buckets + p->n, 0, (n - p->n) * sizeof *p->buckets);
		p->n = n;
	}
	for (uint32_t i = 0; i < n; i++)
		p->buckets[i] += buckets[i] / (div ? div : 1);
}

static void xml_put(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '&': sb_puts(b, "&amp;"); break;
		default: sb_putc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
		}
	}
}

/* First and last non-empty bucket; false when all are empty. */
static bool range(const struct plot_panel *p, uint32_t *lo, uint32_t *hi, uint64_t *max)
{
	bool any = false;
	*max = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		if (!p->buckets[i])
			continue;
		if (!any)
			*lo = i;
		*hi = i;
		any = true;
		if (p->buckets[i] > *max)
			*max = p->buckets[i];
	}
	return any;
}

static void panel(struct sbuf *b, const struct plot_panel *p, int *y)
{
	uint32_t lo = 0, hi = 0;
	uint64_t max;
	sb_printf(b, "<text class=\"t\" x=\"10\" y=\"%d\">", *y + 14);
	xml_put(b, p->title);
	sb_puts(b, "</text>\n");
	*y += 24;
	if (!range(p, &lo, &hi, &max)) {
		sb_printf(b, "<text x=\"%d\" y=\"%d\">(empty)</text>\n", LABEL_W, *y + 13);
		*y += ROW_H + PANEL_GAP;
		return;
	}
	for (uint32_t i = lo; i <= hi; i++) {
		char label[96];
		if (p->lhist)
			lhist_bucket_label(label, sizeof label, i, p->min, p->max, p->step);
		else
			hist_bucket_label(label, sizeof label, i, p->k);
		double w = (double)p->buckets[i] * BAR_MAX / (double)max;
		sb_printf(b, "<g><title>%s: %llu</title>", label, (unsigned long long)p->buckets[i]);
		sb_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 8, *y + 13);
		xml_put(b, label);
		sb_printf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"#4e79a7\"/>"
			  "<text x=\"%.2f\" y=\"%d\">%llu</text></g>\n",
			  LABEL_W, *y + 2, w, ROW_H - 4, LABEL_W + w + 6, *y + 13,
			  (unsigned long long)p->buckets[i]);
		*y += ROW_H;
	}
	*y += PANEL_GAP;
}

int plot_write(const char *path, const char *title, char *err, size_t errlen)
{
	if (!npanels) {
		snprintf(err, errlen, "nothing to plot: the run printed no hist() or lhist() map");
		return 1;
	}
	struct sbuf body = { 0 }, b = { 0 };
	int y = 44;
	for (uint32_t i = 0; i < npanels; i++)
		panel(&body, &panels[i], &y);
	sb_printf(&b, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		  "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "xmlns=\"http://www.w3.org/2000/svg\">\n"
		  "<style>text{font-family:monospace;font-size:12px}.t{font-size:14px;font-weight:bold}</style>\n"
		  "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		  "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" style=\"font-size:16px\">Histograms",
		  WIDTH, y, WIDTH, y, WIDTH / 2);
	if (title && *title) {
		sb_puts(&b, ": ");
		xml_put(&b, title);
	}
	sb_puts(&b, "</text>\n");
	sb_put(&b, body.p, body.len);
	sb_puts(&b, "</svg>\n");
	free(body.p);
	int rc = 0;
	FILE *o = fopen(path, "we");
	if (!o || fwrite(b.p, 1, b.len, o) != b.len || fclose(o) != 0) {
		snprintf(err, errlen, "writing '%s': %s", path, strerror(errno));
		rc = 1;
	}
	free(b.p);
	return rc;
}
