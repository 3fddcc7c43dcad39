/* SPDX-License-Identifier: ISC */
/* svg: see svg.h.  Geometry in user units of a fixed viewBox; the page scales it. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"

#define W 760.0
#define H 220.0
#define ML 70.0  /* room for the value labels */
#define MR 20.0
#define MT 28.0
#define MB 36.0

void html_esc(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

		if (*p >= 0x80 && !str_valid_utf8((const char *)p, n)) {
			buf_printf(b, "\\x%02x", *p);
			n = 1;
		} else if (*p == '&') {
			buf_adds(b, "&amp;");
		} else if (*p == '<') {
			buf_adds(b, "&lt;");
		} else if (*p == '>') {
			buf_adds(b, "&gt;");
		} else if (*p == '"') {
			buf_adds(b, "&quot;");
		} else if (*p == '\'') {
			buf_adds(b, "&#39;");
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\x%02x", *p); /* visible, and never markup */
		} else {
			buf_add(b, p, n);
		}
		p += n;
	}
}

/* 1, 2 or 5 times a power of ten, giving about `want` steps over range. */
static double nice_step(double range, int want)
{
	double raw = range / want, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static double x_of(const struct svg_chart *c, double t)
{
	return ML + (c->t_max > 0 ? t / c->t_max : 0) * (W - ML - MR);
}

static double y_of(double v, double top)
{
	return H - MB - (top > 0 ? v / top : 0) * (H - MT - MB);
}

static void fmt_num(double v, char *out, size_t n)
{
	if (fabs(v) >= 100 || v == floor(v))
		snprintf(out, n, "%.0f", v);
	else if (fabs(v) >= 1)
		snprintf(out, n, "%.1f", v);
	else
		snprintf(out, n, "%.2f", v);
}

static void axes(struct buf *b, const struct svg_chart *c, double top)
{
	double ts = nice_step(c->t_max > 0 ? c->t_max : 1, 8), vs = nice_step(top / c->scale, 4);
	char s[32];

	buf_printf(b, "<g class=\"grid\">");
	for (double v = 0; v <= top / c->scale * 1.0001; v += vs) {
		double y = y_of(v * c->scale, top);

		fmt_num(v, s, sizeof(s));
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%s</text>", ML, y, W - MR, y,
			   ML - 6, y + 4, s);
	}
	for (double t = 0; t <= c->t_max * 1.0001; t += ts) {
		double x = x_of(c, t);

		fmt_num(t, s, sizeof(s));
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\">%s</text>", x, MT, x, H - MB,
			   x, H - MB + 16, s);
	}
	buf_printf(b, "</g><text class=\"unit\" x=\"%.1f\" y=\"%.1f\">", 8.0, MT - 10);
	html_esc(b, c->unit);
	buf_printf(b, "</text><text class=\"unit\" x=\"%.1f\" y=\"%.1f\">time (s)</text>",
		   W - MR - 50, H - 4);
}

static void polyline(struct buf *b, const struct svg_chart *c, const struct svg_line *l,
		     double top)
{
	bool open = false;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i] < 0) {
			if (open)
				buf_adds(b, "\"/>");
			open = false;
			continue;
		}
		if (!open)
			buf_printf(b, "<polyline class=\"%s\" points=\"", l->cls);
		buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x_of(c, l->t[i]), y_of(l->v[i], top));
		open = true;
	}
	if (open)
		buf_adds(b, "\"/>");
}

static void limit_line(struct buf *b, const struct svg_chart *c, double top)
{
	double y;

	if (c->limit < 0)
		return;
	y = y_of(c->limit, top);
	buf_printf(b, "<line class=\"limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		   "<text class=\"ll\" x=\"%.1f\" y=\"%.1f\">", ML, y, W - MR, y, W - MR - 4, y - 4);
	html_esc(b, c->limit_label);
	buf_adds(b, "</text>");
}

static void marks(struct buf *b, const struct svg_chart *c)
{
	for (size_t i = 0; i < c->n_marks; i++) {
		const struct svg_mark *m = &c->marks[i];
		double x = x_of(c, m->t < 0 ? 0 : m->t > c->t_max ? c->t_max : m->t);

		buf_adds(b, "<g class=\"mark m-");
		html_esc(b, m->kind);
		buf_printf(b, "\"><title>+%.3fs ", m->t);
		html_esc(b, m->kind);
		buf_adds(b, ": ");
		html_esc(b, m->detail);
		buf_printf(b, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/></g>", x, MT, x, H - MB, x, MT);
	}
}

static void legend(struct buf *b, const struct svg_chart *c)
{
	double x = ML;

	for (size_t i = 0; i < c->n_lines; i++) {
		buf_printf(b, "<rect class=\"k %s\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"/>"
			   "<text class=\"lg\" x=\"%.1f\" y=\"%.1f\">", c->lines[i].cls, x, MT - 20,
			   x + 14, MT - 11);
		html_esc(b, c->lines[i].label);
		buf_adds(b, "</text>");
		x += 24 + 7 * (double)strlen(c->lines[i].label ? c->lines[i].label : "");
	}
}

void svg_chart(struct buf *b, const struct svg_chart *c)
{
	double top = c->limit > 0 ? c->limit : 0;

	for (size_t k = 0; k < c->n_lines; k++)
		for (size_t i = 0; i < c->lines[k].n; i++)
			top = c->lines[k].v[i] > top ? c->lines[k].v[i] : top;
	top = top > 0 ? top * 1.08 : c->scale;
	buf_printf(b, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
		   "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
	html_esc(b, c->title);
	buf_adds(b, "\"><title>");
	html_esc(b, c->title);
	buf_adds(b, "</title>");
	axes(b, c, top);
	limit_line(b, c, top);
	for (size_t k = 0; k < c->n_lines; k++)
		polyline(b, c, &c->lines[k], top);
	marks(b, c);
	legend(b, c);
	buf_adds(b, "</svg><figcaption>");
	html_esc(b, c->title);
	buf_adds(b, "</figcaption></figure>\n");
}

void svg_bars(struct buf *b, const char *title, const char *const *labels, const double *a,
	      const double *bv, size_t n, const char *la, const char *lb)
{
	double top = 1, bw = n ? (W - ML - MR) / (double)n : 1, vs;
	char s[32];

	for (size_t i = 0; i < n; i++)
		top = fmax(top, fmax(a[i], bv[i]));
	top *= 1.1;
	vs = nice_step(top, 4);
	buf_printf(b, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
		   "viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", W, H);
	html_esc(b, title);
	buf_adds(b, "</title><g class=\"grid\">");
	for (double v = 0; v <= top; v += vs) {
		fmt_num(v, s, sizeof(s));
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"yl\" "
			   "x=\"%.1f\" y=\"%.1f\">%s</text>", ML, y_of(v, top), W - MR, y_of(v, top),
			   ML - 6, y_of(v, top) + 4, s);
	}
	buf_adds(b, "</g>");
	for (size_t i = 0; i < n; i++) {
		double x = ML + bw * (double)i;

		buf_printf(b, "<g><title>");
		html_esc(b, labels[i]);
		buf_printf(b, ": %.0f %s, %.0f %s</title>", a[i], la, bv[i], lb);
		buf_printf(b, "<rect class=\"s1\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
			   "<rect class=\"s3\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></g>",
			   x + bw * 0.1, y_of(a[i], top), bw * 0.4, H - MB - y_of(a[i], top),
			   x + bw * 0.5, y_of(bv[i], top), bw * 0.4, H - MB - y_of(bv[i], top));
		if (n <= 12 || i % (n / 12 + 1) == 0) {
			buf_printf(b, "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\">", x + bw / 2,
				   H - MB + 16);
			html_esc(b, labels[i]);
			buf_adds(b, "</text>");
		}
	}
	buf_printf(b, "<rect class=\"k s1\" x=\"%.1f\" y=\"8\" width=\"10\" height=\"10\"/><text "
		   "class=\"lg\" x=\"%.1f\" y=\"17\">", ML, ML + 14);
	html_esc(b, la);
	buf_printf(b, "</text><rect class=\"k s3\" x=\"%.1f\" y=\"8\" width=\"10\" height=\"10\"/>"
		   "<text class=\"lg\" x=\"%.1f\" y=\"17\">", ML + 100, ML + 114);
	html_esc(b, lb);
	buf_adds(b, "</text></svg><figcaption>");
	html_esc(b, title);
	buf_adds(b, "</figcaption></figure>\n");
}
