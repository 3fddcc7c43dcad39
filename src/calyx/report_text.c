/* SPDX-License-Identifier: ISC */
/*
 * report_text: reports for a terminal.  Every string of the model is
 * printed through text_safe(): C0 and C1 controls, DEL, bidirectional
 * overrides and invalid UTF-8 become visible \xNN / \u{...} text, so a run
 * cannot move the cursor, recolour, retitle or reorder what is shown.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

#define SPARK_W 60

static bool cp_hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfeff;
}

/* One code point of valid UTF-8 at p (n bytes long), or 0 on a bad sequence. */
static uint32_t utf8_cp(const unsigned char *p, size_t *n)
{
	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	*n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (!str_valid_utf8((const char *)p, *n))
		return 0;
	if (*n == 2)
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	if (*n == 3)
		return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	       (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

static void text_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = 1;
		uint32_t cp = utf8_cp(p, &n);

		if (cp == 0 && *p >= 0x80)
			fprintf(f, "\\x%02x", *p), n = 1;
		else if (cp == '\\' || cp_hidden(cp))
			fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u{%04x}", cp);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

/* ---- sparklines ----------------------------------------------------------- */

static void spark(FILE *f, const struct rseries *s, double top, double dur)
{
	static const char *const bars[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	double col[SPARK_W];

	for (int c = 0; c < SPARK_W; c++)
		col[c] = -1;
	for (size_t i = 0; i < s->n; i++) {
		int c = dur > 0 ? (int)(s->t[i] / dur * SPARK_W) : 0;

		c = c < 0 ? 0 : c >= SPARK_W ? SPARK_W - 1 : c;
		if (s->v[i] > col[c])
			col[c] = s->v[i];
	}
	for (int c = 0; c < SPARK_W; c++) {
		int k = col[c] < 0 || top <= 0 ? 0 : 1 + (int)(col[c] / top * 7.999);

		fputs(bars[k > 8 ? 8 : k], f);
	}
}

static void spark_line(FILE *f, const cJSON *m, const char *which, const char *label, double dur)
{
	struct rseries s;
	char a[32], b[32];
	double top;

	if (report_series(m, which, &s) < 0 || !s.known) {
		fprintf(f, "  %-10s (not accounted for this run on this host)\n", label);
		rseries_free(&s);
		return;
	}
	top = s.limit > s.peak ? s.limit : s.peak;
	fprintf(f, "  %-10s ", label);
	spark(f, &s, top, dur);
	if (!strcmp(which, "memory") || !strncmp(which, "io_", 3)) {
		report_bytes(s.peak, a, sizeof(a));
		report_bytes(s.limit, b, sizeof(b));
		fprintf(f, " peak %s%s%s%s\n", a, strncmp(which, "io_", 3) ? "" : "/s",
			s.limit >= 0 ? " of " : "", s.limit >= 0 ? b : "");
	} else if (!strcmp(which, "cpu")) {
		fprintf(f, " peak %.2f cores\n", s.peak);
	} else if (!strcmp(which, "pids")) {
		fprintf(f, " peak %.0f", s.peak);
		if (s.limit >= 0)
			fprintf(f, " of %.0f", s.limit);
		fputc('\n', f);
	} else {
		fprintf(f, " peak %.0f%%\n", s.peak);
	}
	rseries_free(&s);
}

/* ---- sections ------------------------------------------------------------- */

static void summary(FILE *f, const cJSON *m)
{
	const cJSON *meta = rj_get(m, "meta"), *a;
	const char *v;

	fprintf(f, "run         ");
	text_safe(f, rj_str(m, "run"));
	fprintf(f, "\nlease       ");
	text_safe(f, rj_str(meta, "lease"));
	fprintf(f, "\nsubject     ");
	text_safe(f, rj_str(meta, "identity.subject"));
	fprintf(f, ", ran as ");
	text_safe(f, rj_str(meta, "identity.run_as"));
	fprintf(f, "\ncommand    ");
	cJSON_ArrayForEach(a, rj_get(meta, "argv")) {
		fputc(' ', f);
		text_safe(f, a->valuestring);
	}
	fprintf(f, "\ncwd         ");
	text_safe(f, rj_str(meta, "cwd"));
	fprintf(f, "\nwhen        ");
	text_safe(f, rj_str(meta, "start"));
	fprintf(f, " .. ");
	text_safe(f, rj_str(meta, "end"));
	fprintf(f, " (%.3fs)\nexit        %.0f", rj_num(meta, "duration_ms", 0) / 1000,
		rj_num(meta, "outcome.exit_code", -1));
	if ((v = rj_str(meta, "outcome.kill_reason")))
		fprintf(f, " (killed: %s)", v);
	if (rj_num(meta, "outcome.signal", 0) > 0)
		fprintf(f, " (signal %.0f)", rj_num(meta, "outcome.signal", 0));
	fprintf(f, "\nnetwork     ");
	text_safe(f, rj_str(meta, "network"));
	fputc('\n', f);
}

static void timeline(FILE *f, const cJSON *m)
{
	const cJSON *meta = rj_get(m, "meta");
	double dur = rj_num(meta, "duration_ms", 0) / 1000;

	fprintf(f, "\ntimeline    %d samples, every %.0f ms; ",
		cJSON_GetArraySize(rj_get(m, "timeline.t_ms")), rj_num(m, "timeline.interval_ms", 0));
	text_safe(f, rj_str(m, "timeline.state"));
	fputc('\n', f);
	spark_line(f, m, "cpu", "cpu", dur);
	spark_line(f, m, "memory", "memory", dur);
	spark_line(f, m, "pids", "pids", dur);
	spark_line(f, m, "io_read", "io read", dur);
	spark_line(f, m, "io_write", "io write", dur);
	spark_line(f, m, "psi_cpu", "cpu stall", dur);
	spark_line(f, m, "psi_memory", "mem stall", dur);
	fprintf(f, "  %-10s 0s%*s%.1fs\n", "time", SPARK_W - 2, "", dur);
}

static void marks(FILE *f, const cJSON *m)
{
	const cJSON *k;
	int n = cJSON_GetArraySize(rj_get(m, "marks")), shown = 0;

	fprintf(f, "\nevents      %d\n", n);
	cJSON_ArrayForEach(k, rj_get(m, "marks")) {
		if (shown++ == 40) {
			fprintf(f, "  ... %d more (--json has all)\n", n - 40);
			break;
		}
		fprintf(f, "  %+9.3fs  ", rj_num(k, "t_ms", 0) / 1000);
		text_safe(f, rj_str(k, "kind"));
		fprintf(f, "%*s", 14 - (int)strlen(rj_str(k, "kind") ?: "") > 1 ?
			14 - (int)strlen(rj_str(k, "kind") ?: "") : 1, "");
		text_safe(f, rj_str(k, "detail"));
		fputc('\n', f);
	}
}

static void proc_line(FILE *f, const cJSON *p, int depth)
{
	const cJSON *e;

	fprintf(f, "  %*s%-7.0f", depth * 2, "", rj_num(p, "pid", 0));
	if (!cJSON_GetArraySize(rj_get(p, "execs"))) {
		fputs(" (no exec) ", f);
		text_safe(f, rj_str(p, "comm"));
	}
	cJSON_ArrayForEach(e, rj_get(p, "execs")) {
		fprintf(f, " +%.3fs ", rj_num(e, "t_ms", 0) / 1000);
		text_safe(f, rj_str(e, "filename"));
	}
	if (rj_get(p, "signal"))
		fprintf(f, "  killed by signal %.0f", rj_num(p, "signal", 0));
	else if (rj_get(p, "status"))
		fprintf(f, "  exit %.0f", rj_num(p, "status", 0));
	fputc('\n', f);
}

static bool has_proc(const cJSON *procs, double pid)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, procs)
		if (rj_num(p, "pid", -1) == pid)
			return true;
	return false;
}

static void proc_tree(FILE *f, const cJSON *procs, const cJSON *parent, int depth)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, procs) {
		double pp = rj_num(p, "ppid", -1);
		bool root = !has_proc(procs, pp);

		if (parent ? pp != rj_num(parent, "pid", -2) : !root)
			continue;
		proc_line(f, p, depth);
		if (depth < 16)
			proc_tree(f, procs, p, depth + 1);
	}
}

static void processes(FILE *f, const cJSON *m)
{
	const cJSON *procs = rj_get(m, "processes");

	fprintf(f, "\nprocesses   %d seen by the sentinel", cJSON_GetArraySize(procs));
	if (rj_num(m, "sentinel_events_dropped", 0) > 0)
		fprintf(f, " (%.0f events beyond the report's bound)",
			rj_num(m, "sentinel_events_dropped", 0));
	fputc('\n', f);
	proc_tree(f, procs, NULL, 0);
}

static void syscalls_and_net(FILE *f, const cJSON *m)
{
	const cJSON *s, *c;

	fprintf(f, "\nsystem calls (top)\n");
	cJSON_ArrayForEach(s, rj_get(m, "syscalls")) {
		fputs("  ", f);
		text_safe(f, rj_str(s, "name"));
		fprintf(f, "%*s%.0f\n", 22 - (int)strlen(rj_str(s, "name") ?: "") > 1 ?
			22 - (int)strlen(rj_str(s, "name") ?: "") : 1, "", rj_num(s, "count", 0));
	}
	fprintf(f, "\nconnects    %d\n", cJSON_GetArraySize(rj_get(m, "connects")));
	cJSON_ArrayForEach(c, rj_get(m, "connects")) {
		fprintf(f, "  %+9.3fs  %-7s ", rj_num(c, "t_ms", 0) / 1000,
			cJSON_IsTrue(rj_get(c, "allowed")) ? "allowed" : "DENIED");
		text_safe(f, rj_str(c, "op"));
		fputc(' ', f);
		text_safe(f, rj_str(c, "addr"));
		fprintf(f, " port %.0f ", rj_num(c, "port", 0));
		text_safe(f, rj_str(c, "proto"));
		fputc('\n', f);
	}
}

static void layers(FILE *f, const cJSON *m)
{
	const cJSON *l;

	fprintf(f, "\nenforcement layers\n");
	cJSON_ArrayForEach(l, rj_get(m, "meta.layers")) {
		fputs("  ", f);
		text_safe(f, l->string);
		fprintf(f, "%*s", 16 - (int)strlen(l->string) > 1 ? 16 - (int)strlen(l->string) : 1, "");
		text_safe(f, rj_str(l, "state"));
		fputs("  ", f);
		text_safe(f, rj_str(l, "detail"));
		fputc('\n', f);
	}
}

/* Sections other modules add to meta.json (assessment, stage): their words. */
static void optional(FILE *f, const cJSON *m, const char *key, const char *title)
{
	const cJSON *o = rj_get(m, "meta"), *c;

	o = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!o)
		return;
	fprintf(f, "\n%s\n", title);
	cJSON_ArrayForEach(c, o) {
		if (!cJSON_IsString(c) && !cJSON_IsNumber(c) && !cJSON_IsBool(c))
			continue;
		fputs("  ", f);
		text_safe(f, c->string);
		fputs(": ", f);
		if (cJSON_IsString(c))
			text_safe(f, c->valuestring);
		else if (cJSON_IsNumber(c))
			fprintf(f, "%.0f", c->valuedouble);
		else
			fputs(cJSON_IsTrue(c) ? "true" : "false", f);
		fputc('\n', f);
	}
}

static void audit(FILE *f, const cJSON *m)
{
	const cJSON *r;

	fprintf(f, "\naudit records\n");
	cJSON_ArrayForEach(r, rj_get(m, "audit.records")) {
		fprintf(f, "  %s#%.0f ", cJSON_IsTrue(rj_get(r, "intact")) ? "" : "! ",
			rj_num(r, "seq", 0));
		text_safe(f, rj_str(r, "time"));
		fputc(' ', f);
		text_safe(f, rj_str(r, "type"));
		fputc('\n', f);
	}
	fprintf(f, "  chain: ");
	text_safe(f, rj_str(m, "audit.chain"));
	fputc('\n', f);
}

static void output(FILE *f, const cJSON *m, const char *which)
{
	const cJSON *o = rj_get(rj_get(m, "output"), which);
	const char *x = rj_str(o, "excerpt");

	if (!x || !x[0])
		return;
	fprintf(f, "\n%s (%s%.0f bytes; control characters shown as \\xNN)\n  ", which,
		cJSON_IsTrue(rj_get(o, "tail_only")) ? "the end of " : "", rj_num(o, "bytes", 0));
	for (const char *l = x, *nl; *l; l = nl + !!*nl) {
		_cleanup_free_ char *line = NULL;

		nl = strchrnul(l, '\n');
		line = strndup(l, (size_t)(nl - l));
		text_safe(f, line);
		fputs(*nl && nl[1] ? "\n  " : "", f);
	}
	fputc('\n', f);
}

void report_run_text(FILE *f, const cJSON *m)
{
	summary(f, m);
	timeline(f, m);
	marks(f, m);
	processes(f, m);
	syscalls_and_net(f, m);
	layers(f, m);
	optional(f, m, "assessment", "assessment");
	optional(f, m, "stage", "staged writes");
	output(f, m, "stdout");
	output(f, m, "stderr");
	audit(f, m);
}

/* ---- the host ------------------------------------------------------------- */

static void counts(FILE *f, const cJSON *m, const char *key, const char *title, const char *field)
{
	const cJSON *c;

	fprintf(f, "\n%s\n", title);
	cJSON_ArrayForEach(c, rj_get(m, key)) {
		if (rj_num(c, field, 0) <= 0)
			continue;
		fprintf(f, "  %6.0f  ", rj_num(c, field, 0));
		text_safe(f, c->string);
		fputc('\n', f);
	}
}

static void tops(FILE *f, const cJSON *m, const char *key, const char *title)
{
	const cJSON *r, *a;
	char b[32];

	fprintf(f, "\n%s\n", title);
	cJSON_ArrayForEach(r, rj_get(m, key)) {
		report_bytes(rj_num(r, "memory_peak", 0), b, sizeof(b));
		fprintf(f, "  %9.3fs %10s  ", rj_num(r, "duration_ms", 0) / 1000, b);
		text_safe(f, rj_str(r, "run"));
		fputs("  ", f);
		text_safe(f, rj_str(r, "subject"));
		cJSON_ArrayForEach(a, rj_get(r, "argv")) {
			fputc(' ', f);
			text_safe(f, a->valuestring);
		}
		fputc('\n', f);
	}
}

void report_host_text(FILE *f, const cJSON *m)
{
	const cJSON *b;

	fprintf(f, "runs        %.0f", rj_num(m, "runs", 0));
	if (rj_str(m, "lease")) {
		fputs(" of ", f);
		text_safe(f, rj_str(m, "lease"));
	}
	if (rj_num(m, "runs_without_meta", 0) > 0)
		fprintf(f, " (and %.0f without a readable meta.json: running, or damaged)",
			rj_num(m, "runs_without_meta", 0));
	fprintf(f, "\ndenials     %.0f\n", rj_num(m, "denials", 0));
	counts(f, m, "per_lease", "runs per lease", "runs");
	counts(f, m, "per_subject", "runs per subject", "runs");
	counts(f, m, "outcomes", "outcomes", "runs");
	counts(f, m, "denials_by_clause", "denials by clause", "denials");
	tops(f, m, "longest", "longest runs");
	tops(f, m, "biggest", "biggest runs (memory peak)");
	fprintf(f, "\nover time (%s)\n", rj_num(m, "bucket_ms", 0) >= 86400000 ? "per day" :
		"per hour");
	cJSON_ArrayForEach(b, rj_get(m, "over_time")) {
		fputs("  ", f);
		text_safe(f, rj_str(b, "t"));
		fprintf(f, "  %5.0f runs  %5.0f denials\n", rj_num(b, "runs", 0),
			rj_num(b, "denials", 0));
	}
}
