/* SPDX-License-Identifier: ISC */
/*
 * report_run: the model of one run (see report.h).  Reads meta.json
 * strictly, timeline.jsonl checked against the SHA-256 in meta.json, the
 * run's lines of the sentinel log (processes, connects, kills) and its audit
 * records, with whether the chain verifies over them.  Everything read is
 * bounded; what does not fit is counted, not silently dropped.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../leasexec/seccomp.h"
#include "audit_int.h"
#include "calyx.h"
#include "canon.h"
#include "paths.h"
#include "report.h"
#include "sig.h"
#include "store.h"
#include "timeline.h"

#define TIMELINE_MAX_BYTES (8u << 20)
#define MAX_PROCS 2000
#define MAX_CONNECTS 2000
#define MAX_AUDIT 500

void report_src_default(struct report_src *s)
{
	s->runs = calyx_paths.runs;
	s->audit_log = calyx_paths.audit_log;
	s->audit_key = calyx_paths.audit_key;
	s->sentinel_log = calyx_paths.sentinel_log;
}

const cJSON *rj_get(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot = strchr(path, '.');

	if (!o)
		return NULL;
	if (!dot)
		return cJSON_GetObjectItemCaseSensitive(o, path);
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return rj_get(cJSON_GetObjectItemCaseSensitive(o, key), dot + 1);
}

const char *rj_str(const cJSON *o, const char *path)
{
	const cJSON *v = rj_get(o, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double rj_num(const cJSON *o, const char *path, double dflt)
{
	const cJSON *v = rj_get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int64_t rj_time_ms(const char *s)
{
	char whole[21];
	int64_t t;

	if (!s || strlen(s) < 20)
		return -1;
	snprintf(whole, sizeof(whole), "%.19sZ", s);
	if (rfc3339_parse(whole, &t) < 0)
		return -1;
	t *= 1000;
	if (s[19] == '.' && strlen(s) >= 24)
		t += (s[20] - '0') * 100 + (s[21] - '0') * 10 + (s[22] - '0');
	return t;
}

static int read_bounded(const char *path, size_t max, struct buf *b)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : read_fd_bounded(fd, max, b);
}

static cJSON *load_meta(const struct report_src *src, const char *run, struct calyx_err *err)
{
	char p[PATH_MAX];
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };

	snprintf(p, sizeof(p), "%s/%s/meta.json", src->runs, run);
	if (lease_file_read(AT_FDCWD, p, &b, err) < 0)
		return NULL;
	if (json_parse_strict(b.data, b.len, JSON_MAX_SIZE, "meta.json", &doc, err) < 0)
		return NULL;
	return doc.root;
}

/* ---- timeline.jsonl ------------------------------------------------------- */

static void add_sample(cJSON *t_ms, cJSON *series, const cJSON *line)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(line, "v"), *x;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(line, "t_ms");
	int k = 0;

	if (!cJSON_IsNumber(t) || !cJSON_IsArray(v) || cJSON_GetArraySize(v) != TL__N)
		return;
	cJSON_AddItemToArray(t_ms, cJSON_CreateNumber(t->valuedouble));
	cJSON_ArrayForEach(x, v) {
		cJSON *col = cJSON_GetObjectItemCaseSensitive(series, tl_series_name(k++));

		cJSON_AddItemToArray(col, cJSON_IsNumber(x) ? cJSON_CreateNumber(x->valuedouble)
							    : cJSON_CreateNull());
	}
}

static void add_line(cJSON *tl, const char *line, size_t len)
{
	struct json_doc doc = { 0 };
	struct calyx_err err = { 0 };
	const char *type;

	if (json_parse_strict(line, len, JSON_MAX_SIZE, "timeline", &doc, &err) < 0) {
		cJSON_ReplaceItemInObject(tl, "state", cJSON_CreateString("malformed line"));
		return;
	}
	type = rj_str(doc.root, "type");
	if (!type)
		add_sample(rj_get(tl, "t_ms") ? cJSON_GetObjectItemCaseSensitive(tl, "t_ms") : NULL,
			   cJSON_GetObjectItemCaseSensitive(tl, "series"), doc.root);
	else if (strcmp(type, "header") == 0)
		cJSON_AddNumberToObject(tl, "interval_ms", rj_num(doc.root, "interval_ms", 0));
	else if (strcmp(type, "mark") == 0)
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(tl, "marks"),
				     cJSON_Duplicate(doc.root, 1));
	json_doc_free(&doc);
}

static const char *hash_state(const struct buf *b, const char *want)
{
	uint8_t h[SHA256_BYTES];
	char hex[65];

	if (!want)
		return "not recorded in meta.json";
	sig_sha256(b->data, b->len, h);
	sig_hex(h, sizeof(h), hex);
	return strcmp(hex, want) == 0 ? "sha256 matches meta.json" : "CHANGED: sha256 differs "
		"from meta.json";
}

static cJSON *load_timeline(const struct report_src *src, const char *run, const cJSON *meta)
{
	_cleanup_buf_ struct buf b = { 0 };
	cJSON *tl = cJSON_CreateObject(), *series;
	char p[PATH_MAX];
	int e;

	snprintf(p, sizeof(p), "%s/%s/timeline.jsonl", src->runs, run);
	cJSON_AddArrayToObject(tl, "t_ms");
	series = cJSON_AddObjectToObject(tl, "series");
	for (int k = 0; k < TL__N; k++)
		cJSON_AddArrayToObject(series, tl_series_name(k));
	cJSON_AddArrayToObject(tl, "marks");
	if ((e = read_bounded(p, TIMELINE_MAX_BYTES, &b)) < 0) {
		cJSON_AddStringToObject(tl, "state", rj_get(meta, "timeline") ? strerror(-e) :
					"none: no timeline was recorded for this run");
		return tl;
	}
	cJSON_AddStringToObject(tl, "state", hash_state(&b, rj_str(meta, "timeline.sha256")));
	for (char *l = b.data, *nl; l < b.data + b.len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(b.data + b.len - l));
		if (!nl)
			break;
		add_line(tl, l, (size_t)(nl - l));
	}
	return tl;
}

/* ---- the sentinel log ------------------------------------------------------ */

struct sn_ctx {
	int64_t start;  /* epoch ms of the run's start */
	const char *command; /* meta.json's: what /dev/fd/N of the first exec was */
	bool first_exec_seen;
	cJSON *procs;   /* object: pid -> process */
	cJSON *connects, *marks;
	size_t n_procs, dropped;
};

static cJSON *proc_of(struct sn_ctx *c, const cJSON *pid)
{
	char key[24];
	cJSON *p;

	snprintf(key, sizeof(key), "%.0f", pid->valuedouble);
	if ((p = cJSON_GetObjectItemCaseSensitive(c->procs, key)))
		return p;
	if (c->n_procs >= MAX_PROCS) {
		c->dropped++;
		return NULL;
	}
	c->n_procs++;
	p = cJSON_AddObjectToObject(c->procs, key);
	cJSON_AddNumberToObject(p, "pid", pid->valuedouble);
	cJSON_AddArrayToObject(p, "execs");
	return p;
}

static void set_num(cJSON *o, const char *k, double v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObject(o, k, cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(o, k, v);
}

static void copy_str(cJSON *to, const char *k, const cJSON *from, const char *fk)
{
	const char *s = rj_str(from, fk);

	if (s)
		cJSON_AddStringToObject(to, k, s);
}

static void mark(cJSON *marks, int64_t t, const char *kind, const char *detail)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddNumberToObject(m, "t_ms", (double)t);
	cJSON_AddStringToObject(m, "kind", kind);
	cJSON_AddStringToObject(m, "detail", detail ? detail : "");
	cJSON_AddItemToArray(marks, m);
}

static void on_exec(struct sn_ctx *c, const cJSON *o, int64_t t)
{
	cJSON *p = proc_of(c, rj_get(o, "pid")), *e;
	const char *fn = rj_str(o, "filename");

	if (!p)
		return;
	if (rj_get(o, "ppid") && !cJSON_GetObjectItemCaseSensitive(p, "ppid"))
		cJSON_AddNumberToObject(p, "ppid", rj_num(o, "ppid", 0));
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "t_ms", (double)t);
	/* leasexec execs the checked file by its fd: the kernel names it /dev/fd/N */
	if (!c->first_exec_seen && c->command && fn && strncmp(fn, "/dev/fd/", 8) == 0) {
		cJSON_AddStringToObject(e, "filename", c->command);
		cJSON_AddStringToObject(e, "exec_name", fn);
		fn = c->command;
	} else {
		copy_str(e, "filename", o, "filename");
	}
	c->first_exec_seen = true;
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p, "execs"), e);
	mark(c->marks, t, "exec", fn);
}

static void on_fork(struct sn_ctx *c, const cJSON *o, int64_t t)
{
	const cJSON *child = rj_get(o, "child");
	cJSON *p = cJSON_IsNumber(child) ? proc_of(c, child) : NULL;

	if (!p)
		return;
	set_num(p, "ppid", rj_num(o, "pid", 0));
	set_num(p, "t_ms", (double)t);
	copy_str(p, "comm", o, "comm");
}

static void on_exit_ev(struct sn_ctx *c, const cJSON *o, int64_t t)
{
	cJSON *p = rj_get(o, "tid") ? NULL : proc_of(c, rj_get(o, "pid"));

	if (!p)
		return;
	set_num(p, "exit_ms", (double)t);
	if (rj_get(o, "status"))
		set_num(p, "status", rj_num(o, "status", 0));
	if (rj_get(o, "signal"))
		set_num(p, "signal", rj_num(o, "signal", 0));
	if (!cJSON_GetObjectItemCaseSensitive(p, "comm"))
		copy_str(p, "comm", o, "comm");
}

static void on_net(struct sn_ctx *c, const cJSON *o, int64_t t, const char *type)
{
	cJSON *n;
	char d[160];
	bool allowed = cJSON_IsTrue(rj_get(o, "allowed"));

	if ((size_t)cJSON_GetArraySize(c->connects) >= MAX_CONNECTS) {
		c->dropped++;
		return;
	}
	n = cJSON_CreateObject();
	cJSON_AddNumberToObject(n, "t_ms", (double)t);
	cJSON_AddStringToObject(n, "op", type);
	copy_str(n, "addr", o, "addr");
	cJSON_AddNumberToObject(n, "port", rj_num(o, "port", 0));
	copy_str(n, "proto", o, "proto");
	cJSON_AddBoolToObject(n, "allowed", allowed);
	copy_str(n, "comm", o, "comm");
	cJSON_AddItemToArray(c->connects, n);
	if (!allowed) {
		snprintf(d, sizeof(d), "%s %s port %.0f denied", type, rj_str(o, "addr") ?: "?",
			 rj_num(o, "port", 0));
		mark(c->marks, t, "denied", d);
	}
}

static void on_sentinel_line(struct sn_ctx *c, const cJSON *o)
{
	const char *type = rj_str(o, "type");
	int64_t t = rj_time_ms(rj_str(o, "time"));
	char d[400];

	if (!type || t < 0 || (!cJSON_IsNumber(rj_get(o, "pid")) && strcmp(type, "kill") != 0))
		return;
	t -= c->start;
	if (strcmp(type, "exec") == 0)
		on_exec(c, o, t);
	else if (strcmp(type, "fork") == 0)
		on_fork(c, o, t);
	else if (strcmp(type, "exit") == 0)
		on_exit_ev(c, o, t);
	else if (strcmp(type, "connect") == 0 || strcmp(type, "sendmsg") == 0)
		on_net(c, o, t, type);
	else if (strcmp(type, "kill") == 0) {
		snprintf(d, sizeof(d), "killed by calyx-sentinel: %s (%s)", rj_str(o, "reason") ?: "?",
			 rj_str(o, "detail") ?: "");
		mark(c->marks, t, "sentinel_kill", d);
	}
}

static void read_sentinel(const struct report_src *src, const char *run, struct sn_ctx *c,
			  cJSON *out)
{
	char needle[80], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(src->sentinel_log, "re");

	if (!f) {
		cJSON_AddStringToObject(out, "sentinel_log", strerror(errno));
		return;
	}
	snprintf(needle, sizeof(needle), "\"run\":\"%s\"", run);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct json_doc doc = { 0 };
		struct calyx_err err = { 0 };

		if (!strstr(line, needle) ||
		    json_parse_strict(line, (size_t)n - (line[n - 1] == '\n'), JSON_MAX_SIZE,
				      "sentinel log", &doc, &err) < 0)
			continue;
		on_sentinel_line(c, doc.root);
		json_doc_free(&doc);
	}
	free(line);
	fclose(f);
	cJSON_AddStringToObject(out, "sentinel_log", "read");
}

/* The processes as an array, in the order they appeared. */
static cJSON *proc_array(cJSON *procs)
{
	cJSON *a = cJSON_CreateArray(), *p;

	while ((p = procs->child)) {
		cJSON_DetachItemViaPointer(procs, p);
		cJSON_AddItemToArray(a, p);
	}
	return a;
}

/* ---- syscalls ------------------------------------------------------------- */

static cJSON *syscalls_json(const cJSON *meta)
{
	const cJSON *top = rj_get(meta, "sentinel.top_syscalls"), *t;
	cJSON *a = cJSON_CreateArray();

	cJSON_ArrayForEach(t, top) {
		cJSON *o = cJSON_CreateObject();
		int nr = (int)rj_num(t, "nr", -1);
		_cleanup_free_ char *name = sc_syscall_name(nr);
		char fallback[24];

		snprintf(fallback, sizeof(fallback), "syscall %d", nr);
		cJSON_AddStringToObject(o, "name", name ? name : fallback);
		cJSON_AddNumberToObject(o, "nr", nr);
		cJSON_AddNumberToObject(o, "count", rj_num(t, "count", 0));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* ---- audit ---------------------------------------------------------------- */

static cJSON *audit_record(const struct arec *r, bool intact)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(r->root, "details");

	cJSON_AddNumberToObject(o, "seq", (double)r->seq);
	copy_str(o, "time", r->root, "time");
	cJSON_AddStringToObject(o, "type", r->type ? r->type : "?");
	cJSON_AddBoolToObject(o, "intact", intact);
	if (d)
		cJSON_AddItemToObject(o, "details", cJSON_Duplicate(d, 1));
	return o;
}

static int collect_audit(const struct report_src *src, const char *run, cJSON *recs,
			 struct calyx_err *err)
{
	struct audit_reader *rd = NULL;
	const char *line;
	size_t len;
	bool complete;
	int r;

	if ((r = audit_reader_open(src->audit_log, false, &rd, err)) < 0)
		return r;
	while ((r = audit_reader_next(rd, &line, &len, &complete, err)) > 0) {
		struct arec a;
		enum arec_status st = arec_parse(line, len, &a, NULL, 0);
		const char *rr = (st == AREC_OK || st == AREC_BADHASH) ? rj_str(a.root, "run") : NULL;

		if (rr && strcmp(rr, run) == 0 && cJSON_GetArraySize(recs) < MAX_AUDIT)
			cJSON_AddItemToArray(recs, audit_record(&a, st == AREC_OK));
		arec_free(&a);
	}
	audit_reader_free(rd);
	return r;
}

static void chain_verdict(const struct report_src *src, int64_t first, int64_t last,
			  cJSON *out)
{
	struct audit_verify_opts o = { .log_path = src->audit_log, .key_state = src->audit_key,
				       .from_seq = first };
	struct audit_report rep;
	struct calyx_err err = { 0 };
	char v[480];

	if (audit_verify(&o, &rep, &err) < 0) {
		snprintf(v, sizeof(v), "not checked: %s", err.msg);
		cJSON_AddBoolToObject(out, "verified", false);
	} else if (rep.kind == AUDIT_CLEAN || rep.seq > last) {
		snprintf(v, sizeof(v), "the chain verifies over records %" PRId64 "..%" PRId64
			 "%s%s", first, last, rep.kind == AUDIT_CLEAN ? "" :
			 "; damage after them: ", rep.kind == AUDIT_CLEAN ? "" : rep.msg);
		cJSON_AddBoolToObject(out, "verified", true);
	} else {
		snprintf(v, sizeof(v), "the chain does NOT verify: %s at record %" PRId64 ": %s",
			 audit_damage_name(rep.kind), rep.seq, rep.msg);
		cJSON_AddBoolToObject(out, "verified", false);
	}
	cJSON_AddStringToObject(out, "chain", v);
}

static cJSON *audit_json(const struct report_src *src, const char *run)
{
	cJSON *o = cJSON_CreateObject(), *recs = cJSON_AddArrayToObject(o, "records");
	struct calyx_err err = { 0 };
	int n;

	if (collect_audit(src, run, recs, &err) < 0) {
		cJSON_AddStringToObject(o, "chain", err.msg);
		cJSON_AddBoolToObject(o, "verified", false);
		return o;
	}
	n = cJSON_GetArraySize(recs);
	if (!n) {
		cJSON_AddStringToObject(o, "chain", "no records of this run in the audit log");
		cJSON_AddBoolToObject(o, "verified", false);
		return o;
	}
	chain_verdict(src, (int64_t)rj_num(cJSON_GetArrayItem(recs, 0), "seq", 0),
		      (int64_t)rj_num(cJSON_GetArrayItem(recs, n - 1), "seq", 0), o);
	return o;
}

/* ---- output ---------------------------------------------------------------- */

#define EXCERPT_BYTES 2048

/* The last EXCERPT_BYTES of a log, as valid UTF-8 (renderers escape it). */
static cJSON *excerpt(const struct report_src *src, const char *run, const char *name)
{
	char p[PATH_MAX], b[EXCERPT_BYTES + 1];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *safe = NULL;
	cJSON *o = cJSON_CreateObject();
	struct stat st;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s/%s", src->runs, run, name);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return o;
	n = pread(fd, b, EXCERPT_BYTES, st.st_size > EXCERPT_BYTES ? st.st_size - EXCERPT_BYTES : 0);
	b[n > 0 ? n : 0] = '\0';
	/* a NUL in the output ends the excerpt there: said, not hidden */
	safe = str_utf8_safe(b);
	cJSON_AddNumberToObject(o, "bytes", (double)st.st_size);
	cJSON_AddBoolToObject(o, "tail_only", st.st_size > EXCERPT_BYTES);
	cJSON_AddStringToObject(o, "excerpt", safe ? safe : "");
	return o;
}

static cJSON *output_json(const struct report_src *src, const char *run)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "stdout", excerpt(src, run, "stdout.log"));
	cJSON_AddItemToObject(o, "stderr", excerpt(src, run, "stderr.log"));
	return o;
}

/* ---- the model ------------------------------------------------------------- */

static int cmp_mark(const void *a, const void *b)
{
	double x = rj_num(*(cJSON *const *)a, "t_ms", 0), y = rj_num(*(cJSON *const *)b, "t_ms", 0);

	return x < y ? -1 : x > y;
}

/* Marks of the timeline and of the sentinel, in time order. */
static cJSON *all_marks(const cJSON *tl, cJSON *sn_marks)
{
	size_t n = 0, k = 0;
	cJSON *a = cJSON_CreateArray(), *m, **v;
	const cJSON *tm = rj_get(tl, "marks");

	n = (size_t)cJSON_GetArraySize(tm) + (size_t)cJSON_GetArraySize(sn_marks);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return a;
	cJSON_ArrayForEach(m, tm)
		v[k++] = cJSON_Duplicate(m, 1);
	cJSON_ArrayForEach(m, sn_marks)
		v[k++] = cJSON_Duplicate(m, 1);
	qsort(v, k, sizeof(*v), cmp_mark);
	for (size_t i = 0; i < k; i++)
		cJSON_AddItemToArray(a, v[i]);
	free(v);
	return a;
}

cJSON *report_run_build(const struct report_src *src, const char *run, struct calyx_err *err)
{
	cJSON *meta = load_meta(src, run, err), *m, *tl;
	_cleanup_cjson_ cJSON *procs = cJSON_CreateObject(), *sn_marks = cJSON_CreateArray();
	struct sn_ctx c = { .procs = procs, .marks = sn_marks };

	if (!meta)
		return NULL;
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "report", "run");
	cJSON_AddStringToObject(m, "run", run);
	cJSON_AddItemToObject(m, "meta", meta);
	tl = load_timeline(src, run, meta);
	cJSON_AddItemToObject(m, "timeline", tl);
	c.start = rj_time_ms(rj_str(meta, "start"));
	c.command = rj_str(meta, "command");
	c.connects = cJSON_AddArrayToObject(m, "connects");
	read_sentinel(src, run, &c, m);
	cJSON_AddItemToObject(m, "processes", proc_array(procs));
	cJSON_AddNumberToObject(m, "sentinel_events_dropped", (double)c.dropped);
	cJSON_AddItemToObject(m, "marks", all_marks(tl, sn_marks));
	cJSON_AddItemToObject(m, "syscalls", syscalls_json(meta));
	cJSON_AddItemToObject(m, "output", output_json(src, run));
	cJSON_AddItemToObject(m, "audit", audit_json(src, run));
	return m;
}
