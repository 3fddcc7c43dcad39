/* SPDX-License-Identifier: ISC */
/* runtimeline: see runtimeline.h. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "artifacts.h"
#include "runtimeline.h"
#include "sig.h"

static void fill_source(const struct plan *p, struct tl_source *src)
{
	const struct cg_run *cg = &p->cg;

	memset(src, 0, sizeof(*src));
	str_copy(src->node, sizeof(src->node), cg->v2_path);
	/* the limit's controller, wherever it lives; else the v2 node (pure v2
	 * hosts account memory and pids there even without a limit) */
	if (cg->via_v1 & (1u << CG_MEMORY))
		str_copy(src->memory, sizeof(src->memory), cg->v1_path[CG_MEMORY]);
	else
		str_copy(src->memory, sizeof(src->memory), cg->v2_path);
	if (cg->via_v1 & (1u << CG_PIDS))
		str_copy(src->pids, sizeof(src->pids), cg->v1_path[CG_PIDS]);
	else
		str_copy(src->pids, sizeof(src->pids), cg->v2_path);
	if (cg->via_v1 & (1u << CG_CPU))
		str_copy(src->cpu_v1, sizeof(src->cpu_v1), cg->v1_path[CG_CPU]);
}

bool rtl_wanted(const struct run *r, const struct plan *p)
{
	return p->cg_made && r->policy.timeline_interval_ms > 0;
}

struct tl *rtl_begin(struct tl *t, const struct run *r, const struct plan *p,
		     const struct sup *s)
{
	struct tl_source src;

	if (!rtl_wanted(r, p))
		return NULL;
	fill_source(p, &src);
	tl_init(t, &src, r->policy.timeline_interval_ms, TL_MAX_SAMPLES);
	tl_start_fresh(t, (int64_t)s->start_ms); /* the run's own, new cgroup */
	return t;
}

static void end_marks(struct tl *t, const struct plan *p, const struct sup *s, int64_t end)
{
	if (s->kill == KILL_WALL)
		tl_mark(t, (int64_t)p->wall_ms, "wall", "the wall-clock limit of %llu.%03llus",
			(unsigned long long)(p->wall_ms / 1000), (unsigned long long)(p->wall_ms % 1000));
	if (s->kill)
		tl_mark(t, end, "kill", "killed: %s", kill_reason_name(s->kill));
	if (WIFEXITED(s->status))
		tl_mark(t, end, "exit", "exited with status %d", WEXITSTATUS(s->status));
	else if (WIFSIGNALED(s->status))
		tl_mark(t, end, "exit", "died of signal %d", WTERMSIG(s->status));
}

static cJSON *meta_json(const struct tl *t, const struct buf *b)
{
	cJSON *o = cJSON_CreateObject();
	uint8_t h[SHA256_BYTES];
	char hex[2 * SHA256_BYTES + 1];

	sig_sha256(b->data, b->len, h);
	sig_hex(h, sizeof(h), hex);
	cJSON_AddStringToObject(o, "file", "timeline.jsonl");
	cJSON_AddStringToObject(o, "sha256", hex);
	cJSON_AddStringToObject(o, "sampler", "supervisor");
	cJSON_AddNumberToObject(o, "samples", (double)t->n);
	cJSON_AddNumberToObject(o, "interval_ms", (double)t->interval_ms);
	cJSON_AddNumberToObject(o, "base_interval_ms", (double)t->base_interval_ms);
	cJSON_AddNumberToObject(o, "marks", (double)t->n_marks);
	return o;
}

cJSON *rtl_finish(struct tl *t, const struct run *r, const struct plan *p,
		  const struct sup *s)
{
	_cleanup_buf_ struct buf b = { 0 };
	int64_t end = (int64_t)(s->end_ms - s->start_ms);
	char start[25];
	cJSON *o;
	int e;

	if (!t)
		return NULL;
	/* the run is over but its cgroup is still there: its final counters, and
	 * the events of its last moments (an OOM kill often ends a run) */
	if (!t->n || t->s[t->n - 1].t_ms < end)
		tl_sample_now(t, (int64_t)s->end_ms);
	end_marks(t, p, s, end);
	rfc3339_format_ms(&s->start_rt, start);
	if (tl_format(t, r->run_id, start, &b) < 0)
		e = -ENOMEM;
	else
		e = art_place(r, p, s->art_fd[ART_TIMELINE], "timeline.jsonl", b.data, b.len);
	if (e < 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", strerror(-e));
	} else {
		o = meta_json(t, &b);
	}
	tl_free(t);
	return o;
}

/* The sentinel's header line: its sample count and intervals, for meta.json. */
static void header_fields(int fd, cJSON *o)
{
	char line[2048];
	struct json_doc doc = { 0 };
	struct calyx_err err = { 0 };
	static const char *const keys[] = { "samples", "interval_ms", "base_interval_ms" };
	ssize_t n = pread(fd, line, sizeof(line), 0);
	char *nl = n > 0 ? memchr(line, '\n', (size_t)n) : NULL;

	if (!nl || json_parse_strict(line, (size_t)(nl - line), sizeof(line), "timeline", &doc,
				     &err) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc.root, keys[i]);

		if (cJSON_IsNumber(v))
			cJSON_AddNumberToObject(o, keys[i], v->valuedouble);
	}
	json_doc_free(&doc);
}

/* Append the supervisor's marks to the sentinel's file, hash the whole. */
static int complete(const struct plan *p, const struct sup *s, cJSON *o)
{
	char path[PATH_MAX], hex[2 * SHA256_BYTES + 1];
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = -1;
	uint8_t h[SHA256_BYTES];
	struct stat st;
	struct tl *m = calloc(1, sizeof(*m));
	int e;

	if (!m)
		return -ENOMEM;
	tl_init(m, NULL, 0, 0);
	end_marks(m, p, s, (int64_t)(s->end_ms - s->start_ms));
	e = tl_format_marks(m, &b);
	tl_free(m); /* the marks */
	free(m);
	snprintf(path, sizeof(path), "%s/timeline.jsonl", p->run_dir);
	fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	/* root's file (the sentinel's) in root's directory, nothing else */
	if (e < 0 || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
		return e < 0 ? e : fd < 0 ? -errno : -EPERM;
	if ((e = write_all(fd, b.data, b.len)) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (e = sig_sha256_fd(fd, h)) < 0)
		return e < 0 ? e : -errno;
	sig_hex(h, sizeof(h), hex);
	cJSON_AddStringToObject(o, "sha256", hex);
	header_fields(fd, o);
	return 0;
}

cJSON *rtl_adopt(const struct run *r, const struct plan *p, const struct sup *s, bool written)
{
	cJSON *o = cJSON_CreateObject();
	int e = written ? complete(p, s, o) : -ENOENT;

	(void)r; /* the run's identity is in the sentinel's header */

	cJSON_AddStringToObject(o, "file", "timeline.jsonl");
	cJSON_AddStringToObject(o, "sampler", "sentinel");
	if (e < 0)
		cJSON_AddStringToObject(o, "error", written ? strerror(-e) : "calyx-sentinel did not "
					"write it (was it restarted during the run?)");
	return o;
}
