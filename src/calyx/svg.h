/* SPDX-License-Identifier: ISC */
/*
 * svg: the plots of an HTML report, drawn as inline SVG by our own code
 * (time axis in seconds, a value axis with its unit, limits as dashed
 * lines, events as marks with their detail as a tooltip), and html_esc,
 * the one escaping function every run-derived string goes through.
 * Output uses classes only (no style attributes): the page's one <style>
 * block, allowed by its hash in the CSP, colours light, dark and print.
 */
#ifndef CALYX_SVG_H
#define CALYX_SVG_H

#include "util.h"

struct svg_line {
	const double *t, *v;     /* seconds; value (< 0: no sample) */
	size_t n;
	const char *cls;         /* "s1".."s4": colour */
	const char *label;
};

struct svg_mark {
	double t;
	const char *kind;        /* class and legend word */
	const char *detail;      /* tooltip: escaped */
};

struct svg_chart {
	const char *title;
	const char *unit;        /* shown on the value axis: "MiB", "cores", "%" */
	double scale;            /* values are divided by this for the axis */
	double t_max;            /* seconds */
	const struct svg_line *lines;
	size_t n_lines;
	double limit;            /* < 0: none (unscaled) */
	const char *limit_label;
	const struct svg_mark *marks;
	size_t n_marks;
};

/* Escape text for HTML element content and attribute values: & < > " ',
 * control characters and invalid UTF-8 become visible text. */
void html_esc(struct buf *b, const char *s);
void svg_chart(struct buf *b, const struct svg_chart *c);
/* A bar chart of counts over labelled buckets (the host report). */
void svg_bars(struct buf *b, const char *title, const char *const *labels,
	      const double *a, const double *bv, size_t n, const char *la, const char *lb);

#endif
