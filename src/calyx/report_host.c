/* SPDX-License-Identifier: ISC */
/*
 * report_host: the model of the host's runs over a period (see report.h):
 * runs per lease and subject, outcomes, the longest and the biggest runs
 * from each run's meta.json; denials by clause and over time from the
 * audit log's lease_event.DENIED records.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "audit_int.h"
#include "report.h"
#include "store.h"

#define TOP_N 5

struct run_row {
	char run[48];
	double duration_ms, memory_peak;
	int64_t start_ms;
	cJSON *meta; /* borrowed from the list */
};

struct host {
	const struct report_filter *f;
	cJSON *per_lease, *per_subject, *outcomes, *by_clause, *buckets;
	int64_t bucket_ms;
	struct run_row *rows;
	size_t n, cap;
	cJSON *metas; /* owns the meta.json trees of the rows */
	size_t denials;
	size_t no_meta;  /* run directories without a readable meta.json */
};

static void bump(cJSON *counts, const char *key, const char *field)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, key);
	cJSON *n;

	if (!c) {
		c = cJSON_AddObjectToObject(counts, key);
		cJSON_AddNumberToObject(c, "runs", 0);
		cJSON_AddNumberToObject(c, "denials", 0);
	}
	n = cJSON_GetObjectItemCaseSensitive(c, field);
	cJSON_SetNumberValue(n, n->valuedouble + 1);
}

static void bucket_key(const struct host *h, int64_t ms, char out[25])
{
	struct timespec ts = { .tv_sec = (time_t)(ms / h->bucket_ms * h->bucket_ms / 1000) };

	rfc3339_format_ms(&ts, out);
}

static const char *outcome_of(const cJSON *m, char *buf, size_t n)
{
	const char *k = rj_str(m, "outcome.kill_reason"), *st = rj_str(m, "outcome.failed_stage");

	if (k)
		snprintf(buf, n, "killed: %s", k);
	else if (st)
		snprintf(buf, n, "failed at %s", st);
	else if (rj_get(m, "outcome.signal"))
		snprintf(buf, n, "signal %.0f", rj_num(m, "outcome.signal", 0));
	else
		snprintf(buf, n, "exit %.0f", rj_num(m, "outcome.exit_code", -1));
	return buf;
}

static cJSON *load_meta(const char *dir, const char *run)
{
	char p[PATH_MAX];
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };
	struct calyx_err err = { 0 };

	snprintf(p, sizeof(p), "%s/%s/meta.json", dir, run);
	if (lease_file_read(AT_FDCWD, p, &b, &err) < 0 ||
	    json_parse_strict(b.data, b.len, JSON_MAX_SIZE, "meta.json", &doc, &err) < 0)
		return NULL;
	return doc.root;
}

static bool run_selected(const struct host *h, const cJSON *m, int64_t start)
{
	const char *lease = rj_str(m, "lease");

	if (h->f->lease && (!lease || strcmp(lease, h->f->lease) != 0))
		return false;
	return !h->f->since_ms || start >= h->f->since_ms;
}

static int add_row(struct host *h, const char *run, cJSON *m, int64_t start)
{
	char o[64];

	if (h->n == h->cap) {
		size_t nc = h->cap ? 2 * h->cap : 64;
		struct run_row *nr = realloc(h->rows, nc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		h->rows = nr;
		h->cap = nc;
	}
	h->rows[h->n++] = (struct run_row){ .duration_ms = rj_num(m, "duration_ms", 0),
					    .memory_peak = rj_num(m, "usage.memory_peak", 0),
					    .start_ms = start, .meta = m };
	str_copy(h->rows[h->n - 1].run, sizeof(h->rows[0].run), run);
	bump(h->per_lease, rj_str(m, "lease") ?: "?", "runs");
	bump(h->per_subject, rj_str(m, "identity.subject") ?: "?", "runs");
	bump(h->outcomes, outcome_of(m, o, sizeof(o)), "runs");
	bucket_key(h, start, o);
	bump(h->buckets, o, "runs");
	cJSON_AddItemToArray(h->metas, m);
	return 0;
}

static int scan_runs(struct host *h, const char *dir, struct calyx_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return err_set(err, errno, dir, "cannot list: %s", strerror(errno));
	while ((e = readdir(d))) {
		cJSON *m;
		int64_t start;

		if (strncmp(e->d_name, "RUN-", 4) != 0)
			continue;
		if (!(m = load_meta(dir, e->d_name))) {
			h->no_meta++; /* running, failed before its end, or damaged */
			continue;
		}
		start = rj_time_ms(rj_str(m, "start"));
		if (!run_selected(h, m, start) || add_row(h, e->d_name, m, start) < 0)
			cJSON_Delete(m);
	}
	closedir(d);
	return 0;
}

static void on_denied(struct host *h, const struct arec *a)
{
	const char *lease = rj_str(a->root, "lease"), *clause = rj_str(a->root, "details.clause");
	int64_t t = rj_time_ms(rj_str(a->root, "time"));
	char b[25];

	if (t < h->f->since_ms || (h->f->lease && (!lease || strcmp(lease, h->f->lease) != 0)))
		return;
	h->denials++;
	bump(h->by_clause, clause && clause[0] ? clause : "?", "denials");
	bump(h->per_lease, lease ? lease : "(no lease)", "denials");
	bucket_key(h, t, b);
	bump(h->buckets, b, "denials");
}

static int scan_audit(struct host *h, const char *log, cJSON *m)
{
	struct audit_reader *rd = NULL;
	struct calyx_err err = { 0 };
	const char *line;
	size_t len;
	bool complete;
	int r;

	if (audit_reader_open(log, false, &rd, &err) < 0) {
		cJSON_AddStringToObject(m, "audit_log", err.msg);
		return 0;
	}
	while ((r = audit_reader_next(rd, &line, &len, &complete, &err)) > 0) {
		struct arec a;

		if (!strstr(line, "lease_event.DENIED"))
			continue;
		memset(&a, 0, sizeof(a));
		if (arec_parse(line, len, &a, NULL, 0) <= AREC_BADHASH && a.type &&
		    strcmp(a.type, "lease_event.DENIED") == 0)
			on_denied(h, &a);
		arec_free(&a);
	}
	audit_reader_free(rd);
	cJSON_AddStringToObject(m, "audit_log", r < 0 ? err.msg : "read");
	return 0;
}

static int by_duration(const void *a, const void *b)
{
	double x = ((const struct run_row *)a)->duration_ms, y = ((const struct run_row *)b)->duration_ms;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_memory(const void *a, const void *b)
{
	double x = ((const struct run_row *)a)->memory_peak, y = ((const struct run_row *)b)->memory_peak;

	return x < y ? 1 : x > y ? -1 : 0;
}

static cJSON *row_json(const struct run_row *r)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *argv = rj_get(r->meta, "argv");

	cJSON_AddStringToObject(o, "run", r->run);
	cJSON_AddStringToObject(o, "lease", rj_str(r->meta, "lease") ?: "?");
	cJSON_AddStringToObject(o, "subject", rj_str(r->meta, "identity.subject") ?: "?");
	cJSON_AddNumberToObject(o, "duration_ms", r->duration_ms);
	cJSON_AddNumberToObject(o, "memory_peak", r->memory_peak);
	if (argv)
		cJSON_AddItemToObject(o, "argv", cJSON_Duplicate(argv, 1));
	return o;
}

static cJSON *top(struct host *h, int (*cmp)(const void *, const void *))
{
	cJSON *a = cJSON_CreateArray();

	qsort(h->rows, h->n, sizeof(*h->rows), cmp);
	for (size_t i = 0; i < h->n && i < TOP_N; i++)
		cJSON_AddItemToArray(a, row_json(&h->rows[i]));
	return a;
}

/* Buckets in time order, as an array. */
static cJSON *sorted_buckets(cJSON *b)
{
	cJSON *a = cJSON_CreateArray(), *best;

	while (b->child) {
		best = b->child;
		for (cJSON *c = b->child; c; c = c->next)
			if (strcmp(c->string, best->string) < 0)
				best = c;
		cJSON_DetachItemViaPointer(b, best);
		cJSON_AddStringToObject(best, "t", best->string);
		cJSON_AddItemToArray(a, best);
	}
	return a;
}

cJSON *report_host_build(const struct report_src *src, const struct report_filter *f,
			 struct calyx_err *err)
{
	int64_t now = (int64_t)time(NULL) * 1000;
	struct host h = { .f = f };
	cJSON *m = cJSON_CreateObject();

	/* hours for up to two days, else days */
	h.bucket_ms = f->since_ms && now - f->since_ms <= 2 * 86400000LL ? 3600000 : 86400000;
	cJSON_AddStringToObject(m, "report", "host");
	cJSON_AddNumberToObject(m, "since_ms", (double)f->since_ms);
	if (f->lease)
		cJSON_AddStringToObject(m, "lease", f->lease);
	cJSON_AddNumberToObject(m, "bucket_ms", (double)h.bucket_ms);
	h.per_lease = cJSON_AddObjectToObject(m, "per_lease");
	h.per_subject = cJSON_AddObjectToObject(m, "per_subject");
	h.outcomes = cJSON_AddObjectToObject(m, "outcomes");
	h.by_clause = cJSON_AddObjectToObject(m, "denials_by_clause");
	h.buckets = cJSON_CreateObject();
	h.metas = cJSON_CreateArray();
	if (scan_runs(&h, src->runs, err) < 0) {
		cJSON_Delete(m);
		m = NULL;
	} else {
		scan_audit(&h, src->audit_log, m);
		cJSON_AddNumberToObject(m, "runs", (double)h.n);
		cJSON_AddNumberToObject(m, "runs_without_meta", (double)h.no_meta);
		cJSON_AddNumberToObject(m, "denials", (double)h.denials);
		cJSON_AddItemToObject(m, "longest", top(&h, by_duration));
		cJSON_AddItemToObject(m, "biggest", top(&h, by_memory));
		cJSON_AddItemToObject(m, "over_time", sorted_buckets(h.buckets));
	}
	cJSON_Delete(h.buckets);
	cJSON_Delete(h.metas);
	free(h.rows);
	return m;
}
