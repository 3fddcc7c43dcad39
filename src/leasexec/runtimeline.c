/* SPDX-License-Identifier: ISC */
/* runtimeline: see runtimeline.h. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

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

struct tl *rtl_begin(struct tl *t, const struct run *r, const struct plan *p,
		     const struct sup *s)
{
	struct tl_source src;

	if (!p->cg_made || r->policy.timeline_interval_ms <= 0)
		return NULL;
	fill_source(p, &src);
	tl_init(t, &src, r->policy.timeline_interval_ms, TL_MAX_SAMPLES);
	tl_start(t, (int64_t)s->start_ms);
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

static int write_file(const struct run *r, const struct plan *p, const struct buf *b)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/timeline.jsonl", p->run_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || fchown(fd, 0, r->caller.gid) < 0)
		return -errno;
	return write_all(fd, b->data, b->len);
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
		e = write_file(r, p, &b);
	if (e < 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", strerror(-e));
	} else {
		o = meta_json(t, &b);
	}
	tl_free(t);
	return o;
}
