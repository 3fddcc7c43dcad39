/* SPDX-License-Identifier: ISC */
/*
 * report_series: the series a report plots, from the timeline's columns:
 * levels (memory, pids) as they are, cumulative counters (cpu time, io
 * bytes, pressure stall time) as rates between consecutive samples.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

struct derive {
	const char *name;
	const char *column;
	const char *limit;  /* column of the limit, or NULL */
	double scale;       /* rate: counter units per ms -> plotted unit; 0: a level */
};

static const struct derive derived[] = {
	{ "cpu", "cpu_usec", NULL, 1.0 / 1000 },            /* usec per ms -> cores */
	{ "memory", "memory", "memory_max", 0 },
	{ "pids", "pids", "pids_max", 0 },
	{ "io_read", "io_read", NULL, 1000 },               /* bytes per ms -> bytes/s */
	{ "io_write", "io_write", NULL, 1000 },
	{ "psi_cpu", "psi_cpu_usec", NULL, 100.0 / 1000 },   /* usec per ms -> % */
	{ "psi_memory", "psi_memory_usec", NULL, 100.0 / 1000 },
	{ "psi_io", "psi_io_usec", NULL, 100.0 / 1000 },
};

void report_bytes(double v, char *out, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static double val(const cJSON *a, size_t i)
{
	const cJSON *x = cJSON_GetArrayItem(a, (int)i);

	return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static void fill(struct rseries *s, const struct derive *d, const cJSON *t, const cJSON *col,
		 const cJSON *lim)
{
	double prev_t = 0, prev_c = 0;

	for (size_t i = 0; i < s->n; i++) {
		double ti = val(t, i), c = val(col, i), v = c;

		s->t[i] = ti / 1000;
		if (d->scale > 0) {
			/* a rate over the span since the previous sample */
			v = c >= 0 && prev_c >= 0 && ti > prev_t ? (c - prev_c) / (ti - prev_t) * d->scale : -1;
			prev_c = c;
			prev_t = ti;
		}
		s->v[i] = v < 0 && c >= 0 ? 0 : v;
		if (s->v[i] >= 0) {
			s->known = true;
			s->peak = s->v[i] > s->peak ? s->v[i] : s->peak;
		}
		if (lim && val(lim, i) >= 0)
			s->limit = val(lim, i);
	}
}

int report_series(const cJSON *model, const char *which, struct rseries *s)
{
	const cJSON *t = rj_get(model, "timeline.t_ms"), *ser = rj_get(model, "timeline.series");
	const struct derive *d = NULL;

	memset(s, 0, sizeof(*s));
	s->limit = -1;
	for (size_t i = 0; i < ARRAY_SIZE(derived); i++)
		if (strcmp(derived[i].name, which) == 0)
			d = &derived[i];
	if (!d)
		return -EINVAL;
	s->n = (size_t)cJSON_GetArraySize(t);
	if (!s->n)
		return 0;
	s->t = calloc(s->n, sizeof(double));
	s->v = calloc(s->n, sizeof(double));
	if (!s->t || !s->v) {
		rseries_free(s);
		return -ENOMEM;
	}
	fill(s, d, t, cJSON_GetObjectItemCaseSensitive(ser, d->column),
	     d->limit ? cJSON_GetObjectItemCaseSensitive(ser, d->limit) : NULL);
	return 0;
}

void rseries_free(struct rseries *s)
{
	free(s->t);
	free(s->v);
	s->t = s->v = NULL;
	s->n = 0;
}
