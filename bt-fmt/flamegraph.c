/* flamegraph.c - `--flamegraph FILE.svg`: a self-contained interactive SVG
 * flame graph of the stacks stacks.c made from the run's maps.
 *
 * The stacks are merged into a tree (one node per distinct path from the
 * root, found by parent and frame in a strset), then drawn
 * depth first with children in name order, so the same input gives the
 * same bytes.  A frame's width is its count's share of the total; runs of
 * neighbouring frames narrower than MIN_WIDTH pixels are drawn as one
 * "[N merged frames]" box (and their descendants left out), which keeps
 * the file small for 100k distinct stacks.  Colours say what a frame is:
 * kernel (orange), user (red to yellow), unresolved addresses such as JIT
 * code (green), key parts like comm or pid (lavender).  In the differential
 * mode (--diff BASE) widths are this run's counts and colours the change
 * against the base run, both as shares of their totals: red grew, blue
 * shrank.  A few lines of embedded script give tooltips, click-to-zoom and
 * search.
 */
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SVG_WIDTH 1200.0
#define PAD 10.0
#define FRAME_H 16
#define TOP 52          /* title, search and reset controls */
#define BOTTOM 28       /* the details line */
#define CHAR_W 7.0      /* 12px monospace */
#define MIN_WIDTH 0.3   /* px: narrower neighbours are merged */

struct fg_frame {
	char *name;
	uint32_t len;
	enum frame_kind kind;
};

struct fg_node {
	uint32_t frame;     /* UINT32_MAX: the root */
	uint32_t first_child, next_sibling;   /* 0: none (the root is never a child) */
	uint64_t value, base;
};

static struct fg_frame *frames;    /* by index in frame_set */
static uint32_t capframes;
static struct strset frame_set;    /* kind byte + name */

static struct fg_node *nodes;      /* 0: the root; i + 1: child_set's i */
static uint32_t nnodes, capnodes;
static struct strset child_set;    /* (parent, frame) as 8 bytes */
static uint64_t base_total;

static uint64_t hash_bytes(const char *s, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

static void *grow(void *p, uint32_t *cap, size_t elem)
{
	*cap = *cap ? *cap * 2 : 1024;
	p = realloc(p, (size_t)*cap * elem);
	if (!p)
		abort();
	return p;
}

static uint32_t intern(const char *s, size_t n, enum frame_kind k)
{
	static struct sbuf key;
	key.len = 0;
	sb_putc(&key, (char)k);
	sb_put(&key, s, n);
	bool added;
	uint32_t i = strset_add(&frame_set, key.p, key.len, &added);
	if (!added)
		return i;
	if (i == capframes)
		frames = grow(frames, &capframes, sizeof *frames);
	char *copy = malloc(n + 1);
	if (!copy)
		abort();
	memcpy(copy, s, n);
	copy[n] = '\0';
	frames[i] = (struct fg_frame){ copy, (uint32_t)n, k };
	return i;
}

static uint32_t child(uint32_t parent, uint32_t frame)
{
	uint32_t key[2] = { parent, frame };
	bool added;
	uint32_t c = strset_add(&child_set, key, sizeof key, &added) + 1;
	if (!added)
		return c;
	if (c == capnodes)
		nodes = grow(nodes, &capnodes, sizeof *nodes);
	nodes[c] = (struct fg_node){ .frame = frame, .next_sibling = nodes[parent].first_child };
	nodes[parent].first_child = c;
	nnodes = c + 1;
	return c;
}

void flamegraph_add(const struct stack_frames *s, uint64_t count, bool base)
{
	if (!nnodes) {
		nodes = grow(nodes, &capnodes, sizeof *nodes);
		nodes[0] = (struct fg_node){ .frame = UINT32_MAX };
		nnodes = 1;
	}
	uint32_t at = 0;
	if (base) {
		base_total += count;
		nodes[0].base += count;
	} else {
		nodes[0].value += count;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		at = child(at, intern(s->text.p + s->f[i].off, s->f[i].len, s->f[i].kind));
		if (base)
			nodes[at].base += count;
		else
			nodes[at].value += count;
	}
}

/* ---- drawing ---- */

struct svg {
	struct sbuf b;
	double scale;        /* px per count */
	int maxdepth;
	bool icicle, diff;
	double base_scale;   /* base counts -> this run's counts */
	double max_change;   /* the largest |share change|, for colour depth */
};

static int cmp_children(const void *a, const void *b)
{
	const struct fg_node *x = &nodes[*(const uint32_t *)a], *y = &nodes[*(const uint32_t *)b];
	const struct fg_frame *fx = &frames[x->frame], *fy = &frames[y->frame];
	int c = strcmp(fx->name, fy->name);
	return c ? c : (int)fx->kind - (int)fy->kind;
}

static uint32_t sorted_children(uint32_t n, uint32_t **out, uint32_t *cap)
{
	uint32_t k = 0;
	for (uint32_t c = nodes[n].first_child; c; c = nodes[c].next_sibling) {
		if (k == *cap)
			*out = grow(*out, cap, sizeof **out);
		(*out)[k++] = c;
	}
	qsort(*out, k, sizeof **out, cmp_children);
	return k;
}

static void xml_text(struct sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '&': sb_puts(b, "&amp;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		default:
			if (c < 0x20)
				sb_putc(b, ' ');
			else
				sb_putc(b, (char)c);
		}
	}
}

static void colour(struct sbuf *b, const struct svg *g, const struct fg_node *n,
		   const char *name, enum frame_kind kind)
{
	if (g->diff) {
		double now = (double)n->value, before = (double)n->base * g->base_scale;
		double r = g->max_change > 0 ? (now - before) / g->max_change : 0;
		int shade = (int)(210 * (1 - fabs(r)));
		if (r >= 0)
			sb_printf(b, "rgb(255,%d,%d)", shade, shade);
		else
			sb_printf(b, "rgb(%d,%d,255)", shade, shade);
		return;
	}
	double v = (double)(hash_bytes(name, strlen(name), 0xcbf29ce484222325ULL) % 1000) / 1000.0;
	switch (kind) {
	case FRAME_KERNEL:
		sb_printf(b, "rgb(%d,%d,%d)", 230 + (int)(25 * v), 130 + (int)(60 * v), (int)(50 * v));
		break;
	case FRAME_USER:
		sb_printf(b, "rgb(%d,%d,%d)", 205 + (int)(50 * v), (int)(230 * v), (int)(55 * v));
		break;
	case FRAME_UNKNOWN:
		sb_printf(b, "rgb(%d,%d,%d)", 50 + (int)(60 * v), 170 + (int)(50 * v), 50 + (int)(60 * v));
		break;
	case FRAME_KEY:
		sb_printf(b, "rgb(%d,%d,%d)", 170 + (int)(30 * v), 160 + (int)(30 * v), 220 + (int)(30 * v));
		break;
	default:
		sb_puts(b, "rgb(200,200,200)");
	}
}

static const char *kind_name(enum frame_kind k)
{
	static const char *const names[] = {
		[FRAME_KEY] = "key", [FRAME_USER] = "user", [FRAME_KERNEL] = "kernel",
		[FRAME_UNKNOWN] = "unresolved", [FRAME_MERGED] = "merged", [FRAME_ROOT] = NULL,
	};
	return names[k];
}

/* One box: <g> with its tooltip, rectangle and the label that fits. */
static void box(struct svg *g, const struct fg_node *n, const char *name, size_t len,
		enum frame_kind kind, double x, double w, int depth, uint64_t total)
{
	double y = g->icicle ? TOP + depth * FRAME_H
			     : TOP + (g->maxdepth - depth) * FRAME_H;
	struct sbuf *b = &g->b;
	sb_printf(b, "<g class=\"f\" data-x=\"%.2f\" data-w=\"%.2f\" data-d=\"%d\" data-n=\"", x, w,
		  depth);
	xml_text(b, name, len);
	sb_puts(b, "\"><title>");
	xml_text(b, name, len);
	sb_puts(b, " (");
	if (kind_name(kind))
		sb_printf(b, "%s, ", kind_name(kind));
	sb_printf(b, "%llu samples, %.2f%%", (unsigned long long)n->value,
		  total ? 100.0 * (double)n->value / (double)total : 0.0);
	if (g->diff) {
		double before = base_total ? 100.0 * (double)n->base / (double)base_total : 0.0;
		double now = total ? 100.0 * (double)n->value / (double)total : 0.0;
		sb_printf(b, "; base %.2f%%, change %+.2f%%", before, now - before);
	}
	sb_printf(b, ")</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"",
		  x, (int)y, w, FRAME_H - 1);
	colour(b, g, n, name, kind);
	sb_printf(b, "\"/><text x=\"%.2f\" y=\"%d\">", x + 3, (int)y + FRAME_H - 4);
	int fit = (int)((w - 6) / CHAR_W);
	if (fit >= 3) {
		if (len <= (size_t)fit) {
			xml_text(b, name, len);
		} else {
			xml_text(b, name, (size_t)fit - 2);
			sb_puts(b, "..");
		}
	}
	sb_puts(b, "</text></g>\n");
}

struct walk {
	uint32_t node;
	double x;
	int depth;
};

static void draw_tree(struct svg *g, uint64_t total)
{
	struct walk *todo = NULL;
	uint32_t ntodo = 0, captodo = 0;
	uint32_t *kids = NULL, capkids = 0;
	box(g, &nodes[0], "all", 3, FRAME_ROOT, PAD, (double)total * g->scale, 0, total);
	todo = grow(todo, &captodo, sizeof *todo);
	todo[ntodo++] = (struct walk){ 0, PAD, 0 };
	while (ntodo) {
		struct walk w = todo[--ntodo];
		uint32_t k = sorted_children(w.node, &kids, &capkids);
		double x = w.x;
		/* children are pushed in reverse so the walk draws them in order */
		uint32_t first_push = ntodo;
		for (uint32_t i = 0; i < k;) {
			const struct fg_node *c = &nodes[kids[i]];
			double cw = (double)c->value * g->scale;
			if (cw >= MIN_WIDTH) {
				const struct fg_frame *fr = &frames[c->frame];
				if (c->value) {
					box(g, c, fr->name, fr->len, fr->kind, x, cw, w.depth + 1, total);
					if (ntodo == captodo)
						todo = grow(todo, &captodo, sizeof *todo);
					todo[ntodo++] = (struct walk){ kids[i], x, w.depth + 1 };
				}
				x += cw;
				i++;
				continue;
			}
			/* a run of narrow neighbours: one box, nothing below it */
			struct fg_node merged = { 0 };
			uint32_t run = 0;
			for (; i < k && (double)nodes[kids[i]].value * g->scale < MIN_WIDTH; i++) {
				if (!nodes[kids[i]].value)
					continue;
				merged.value += nodes[kids[i]].value;
				merged.base += nodes[kids[i]].base;
				run++;
			}
			double mw = (double)merged.value * g->scale;
			if (run && mw >= MIN_WIDTH) {
				char name[48];
				int len = snprintf(name, sizeof name, "[%u merged frames]", run);
				box(g, &merged, name, (size_t)len, FRAME_MERGED, x, mw, w.depth + 1, total);
			}
			x += mw;
		}
		/* reverse the pushed children: depth first, left to right */
		for (uint32_t a = first_push, b = ntodo; a + 1 < b; a++, b--) {
			struct walk t = todo[a];
			todo[a] = todo[b - 1];
			todo[b - 1] = t;
		}
	}
	free(todo);
	free(kids);
}

/* The deepest level that has a box, and the largest share change. */
static void measure(struct svg *g, uint64_t total)
{
	struct walk *todo = NULL;
	uint32_t ntodo = 0, cap = 0;
	todo = grow(todo, &cap, sizeof *todo);
	todo[ntodo++] = (struct walk){ 0, 0, 0 };
	while (ntodo) {
		struct walk w = todo[--ntodo];
		const struct fg_node *n = &nodes[w.node];
		/* a run of narrow children may still be drawn, merged, one level down */
		int deepest = n->first_child ? w.depth + 1 : w.depth;
		if (deepest > g->maxdepth)
			g->maxdepth = deepest;
		double change = fabs((double)n->value - (double)n->base * g->base_scale);
		if (change > g->max_change)
			g->max_change = change;
		for (uint32_t c = n->first_child; c; c = nodes[c].next_sibling) {
			if ((double)nodes[c].value * g->scale < MIN_WIDTH)
				continue;
			if (ntodo == cap)
				todo = grow(todo, &cap, sizeof *todo);
			todo[ntodo++] = (struct walk){ c, 0, w.depth + 1 };
		}
	}
	free(todo);
	(void)total;
}

static const char script[] =
	"var W=1200,PAD=10,CW=7,frames,details,matchtext;\n"
	"function init(){frames=[].slice.call(document.querySelectorAll('g.f'));\n"
	" details=document.getElementById('details');matchtext=document.getElementById('matched');\n"
	" frames.forEach(function(g){g.onclick=function(){zoom(g)};\n"
	"  g.onmouseover=function(){details.textContent=g.querySelector('title').textContent};\n"
	"  g.onmouseout=function(){details.textContent=' '}});}\n"
	"function num(g,a){return +g.getAttribute('data-'+a)}\n"
	"function label(g,w){var n=g.getAttribute('data-n'),c=Math.floor((w-6)/CW);\n"
	" g.querySelector('text').textContent=c<3?'':n.length<=c?n:n.substr(0,c-2)+'..'}\n"
	"function zoom(z){var x0=num(z,'x'),w0=num(z,'w'),d0=num(z,'d'),k=(W-2*PAD)/w0,e=1e-6;\n"
	" frames.forEach(function(g){var x=num(g,'x'),w=num(g,'w'),d=num(g,'d'),nx,nw,\n"
	"  up=d<d0,on=up?(x<=x0+e&&x+w>=x0+w0-e):(x>=x0-e&&x+w<=x0+w0+e);\n"
	"  if(!on){g.style.display='none';return}\n"
	"  nx=up?PAD:PAD+(x-x0)*k;nw=up?W-2*PAD:w*k;g.style.display='';g.style.opacity=up?0.5:1;\n"
	"  g.querySelector('rect').setAttribute('x',nx);g.querySelector('rect').setAttribute('width',nw);\n"
	"  g.querySelector('text').setAttribute('x',nx+3);label(g,nw)})}\n"
	"function search(){var s=prompt('Search frames (regular expression)',''),re,spans=[],sum=0,end=-1;\n"
	" if(s===null)return;try{re=new RegExp(s)}catch(err){alert(err);return}\n"
	" frames.forEach(function(g){var r=g.querySelector('rect'),hit=s!==''&&re.test(g.getAttribute('data-n'));\n"
	"  if(!r.hasAttribute('data-fill'))r.setAttribute('data-fill',r.getAttribute('fill'));\n"
	"  r.setAttribute('fill',hit?'rgb(230,0,230)':r.getAttribute('data-fill'));\n"
	"  if(hit)spans.push([num(g,'x'),num(g,'x')+num(g,'w')])});\n"
	" spans.sort(function(a,b){return a[0]-b[0]}).forEach(function(p){\n"
	"  if(p[0]>end){sum+=p[1]-p[0];end=p[1]}else if(p[1]>end){sum+=p[1]-end;end=p[1]}});\n"
	" matchtext.textContent=s===''?' ':'Matched: '+(100*sum/(W-2*PAD)).toFixed(2)+'%'}\n";

int flamegraph_write(const char *path, const char *title, bool icicle, bool diff,
		     char *err, size_t errlen)
{
	uint64_t total = nnodes ? nodes[0].value : 0;
	if (!total) {
		snprintf(err, errlen, "no stacks to draw: the run printed no map keyed by kstack or "
			 "ustack with count() values");
		return 1;
	}
	struct svg g = { .icicle = icicle, .diff = diff };
	g.scale = (SVG_WIDTH - 2 * PAD) / (double)total;
	g.base_scale = base_total ? (double)total / (double)base_total : 0;
	measure(&g, total);
	int height = TOP + (g.maxdepth + 1) * FRAME_H + BOTTOM;
	struct sbuf *b = &g.b;
	sb_printf(b, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		  "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "xmlns=\"http://www.w3.org/2000/svg\" onload=\"init()\">\n",
		  (int)SVG_WIDTH, height, (int)SVG_WIDTH, height);
	sb_puts(b, "<style>text{font-family:monospace;font-size:12px;fill:#000}"
		   "g.f{cursor:pointer}g.f:hover rect{stroke:#000;stroke-width:0.5}"
		   ".ctl{cursor:pointer;fill:#333}</style>\n<script><![CDATA[\n");
	sb_puts(b, script);
	sb_puts(b, "]]></script>\n");
	sb_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"%s\"/>\n",
		  diff ? "#f8f8ff" : "#fdf6e8");
	sb_printf(b, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" style=\"font-size:16px\">",
		  (int)SVG_WIDTH / 2);
	sb_puts(b, diff ? "Differential flame graph" : icicle ? "Icicle graph" : "Flame graph");
	if (title && *title) {
		sb_puts(b, ": ");
		xml_text(b, title, strlen(title));
	}
	sb_puts(b, "</text>\n");
	sb_printf(b, "<text class=\"ctl\" x=\"%d\" y=\"42\" onclick=\"zoom(document.querySelector('g.f'))\">"
		  "Reset zoom</text>\n", (int)PAD);
	sb_printf(b, "<text class=\"ctl\" x=\"%d\" y=\"42\" text-anchor=\"end\" onclick=\"search()\">"
		  "Search</text>\n", (int)(SVG_WIDTH - PAD));
	sb_printf(b, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		  (int)(SVG_WIDTH - PAD), height - 10);
	sb_printf(b, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n<g id=\"frames\">\n", (int)PAD,
		  height - 10);
	draw_tree(&g, total);
	sb_puts(b, "</g>\n</svg>\n");

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		free(b->p);
		return 1;
	}
	size_t done = 0;
	while (done < b->len) {
		ssize_t w = write(fd, b->p + done, b->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "writing '%s': %s", path, strerror(errno));
			close(fd);
			free(b->p);
			return 1;
		}
		done += (size_t)w;
	}
	free(b->p);
	if (close(fd) < 0) {
		snprintf(err, errlen, "writing '%s': %s", path, strerror(errno));
		return 1;
	}
	return 0;
}
