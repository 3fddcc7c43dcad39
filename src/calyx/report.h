/* SPDX-License-Identifier: ISC */
/*
 * report: `calyx run report RUN` and `calyx report` (CP17 run reports).
 * One model per report, a cJSON document (what --json prints), built from
 * the run's artifacts (meta.json, timeline.jsonl), the sentinel log and the
 * audit log; then rendered for a terminal or as one self-contained HTML
 * page.  Every string in the model came from a run or a user: renderers
 * escape all of them (terminal: cx_print_safe; HTML: html_esc).
 *   report_run.c   the model of one run
 *   report_host.c  the model of the host's runs over a period
 *   report_series.c  plotted series derived from the timeline
 *   report_text.c  terminal renderers (sparklines)
 *   report_html.c  HTML renderers (svg.c draws the plots)
 */
#ifndef CALYX_REPORT_H
#define CALYX_REPORT_H

#include <stdio.h>

#include "json.h"
#include "util.h"

/* Where a report reads from (calyx_paths, or a fixture in tests). */
struct report_src {
	const char *runs;         /* the runs directory */
	const char *audit_log;
	const char *audit_key;    /* key state, for the chain check; may be NULL */
	const char *sentinel_log;
};

struct report_filter {
	int64_t since_ms;         /* epoch ms; 0: all */
	const char *lease;        /* or NULL */
};

void report_src_default(struct report_src *ret);

/* The model of one run; NULL with err set when it has no meta.json. */
cJSON *report_run_build(const struct report_src *src, const char *run, struct calyx_err *err);
/* The model of the host's runs. */
cJSON *report_host_build(const struct report_src *src, const struct report_filter *f,
			 struct calyx_err *err);

void report_run_text(FILE *f, const cJSON *model);
void report_host_text(FILE *f, const cJSON *model);
int report_run_html(const cJSON *model, struct buf *out);
int report_host_html(const cJSON *model, struct buf *out);

/* A plotted series of a run, derived from the timeline: "cpu" (cores),
 * "memory" (bytes), "pids", "io_read"/"io_write" (bytes/s), "psi_cpu",
 * "psi_memory", "psi_io" (% of the time some task stalled). */
struct rseries {
	size_t n;
	double *t;        /* seconds since the start */
	double *v;        /* < 0: unknown at that sample */
	double peak;
	double limit;     /* < 0: none */
	bool known;       /* at least one sample has a value */
};

int report_series(const cJSON *model, const char *which, struct rseries *ret);
void rseries_free(struct rseries *s);
/* Bytes for people: "100.5 MiB". */
void report_bytes(double v, char *out, size_t n);

/* Model access shared by the renderers. */
const char *rj_str(const cJSON *o, const char *path);
double rj_num(const cJSON *o, const char *path, double dflt);
const cJSON *rj_get(const cJSON *o, const char *path);
/* "2026-12-01T10:00:00.123Z" -> epoch ms; -1 if it is not one. */
int64_t rj_time_ms(const char *s);

#endif
