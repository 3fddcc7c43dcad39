/* SPDX-License-Identifier: ISC */
/*
 * timeline: when calyx-sentinel runs, it samples each run's resource
 * timeline (lib/timeline.c) instead of the run's supervisor, which keeps
 * the supervisor small; one timerfd ticks at the shortest interval any run
 * needs, and is disarmed when none does.  At unregistration the daemon
 * takes the last sample and writes runs/RUN-…/timeline.jsonl; leasexec adds
 * the marks only it knows (kill reason, exit) and hashes the file.
 * Trusts the registration (root's, checked in runs.c) for the paths.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "daemon.h"
#include "paths.h"
#include "timeline.h"

static int64_t mono_ms(void)
{
	return (int64_t)(now_mono_ns() / 1000000);
}

/* The timer's period: the shortest current interval of the runs' timelines. */
static void rearm(struct sentinel *s)
{
	int64_t want = 0;
	struct itimerspec it = { 0 };

	for (struct run *r = s->runs; r; r = r->next)
		if (r->tl && (!want || r->tl->interval_ms < want))
			want = r->tl->interval_ms;
	if (want == s->tl_armed_ms)
		return;
	it.it_interval.tv_sec = want / 1000;
	it.it_interval.tv_nsec = (want % 1000) * 1000000;
	it.it_value = it.it_interval;
	if (timerfd_settime(s->tltimer.fd, 0, &it, NULL) == 0)
		s->tl_armed_ms = want;
}

static void source(const struct sn_req *q, struct tl_source *src)
{
	memset(src, 0, sizeof(*src));
	str_copy(src->node, sizeof(src->node), q->cgroup);
	/* on pure v2 the node accounts memory and tasks even without a limit */
	str_copy(src->memory, sizeof(src->memory), q->memory[0] ? q->memory : q->cgroup);
	str_copy(src->pids, sizeof(src->pids), q->pids[0] ? q->pids : q->cgroup);
	str_copy(src->cpu_v1, sizeof(src->cpu_v1), q->cpu);
}

int sn_tl_start(struct sentinel *s, struct run *r, const struct sn_req *q)
{
	struct tl_source src;

	if (!q->timeline_ms)
		return -ENOENT;
	r->tl = malloc(sizeof(*r->tl));
	if (!r->tl)
		return -ENOMEM;
	source(q, &src);
	tl_init(r->tl, &src, q->timeline_ms, TL_MAX_SAMPLES);
	tl_start(r->tl, mono_ms());
	rearm(s);
	return 0;
}

void sn_tl_tick(struct sentinel *s)
{
	uint64_t ticks;
	int64_t now = mono_ms();

	if (read(s->tltimer.fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (struct run *r = s->runs; r; r = r->next)
		if (r->tl && !r->supervisor_gone)
			tl_tick(r->tl, now);
	rearm(s); /* a timeline that grew long samples less often */
}

/* Created by root in the run's directory, its group the directory's (the subject's). */
static int write_file(const struct run *r, const struct buf *b)
{
	char dir[PATH_MAX];
	_cleanup_close_ int dfd = -1, fd = -1;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/%s", calyx_paths.runs, r->cfg.run_id);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return -errno;
	fd = openat(dfd, "timeline.jsonl", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0640);
	if (fd < 0 || fchown(fd, 0, st.st_gid) < 0)
		return -errno;
	return write_all(fd, b->data, b->len);
}

int sn_tl_finish(struct sentinel *s, struct run *r)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct timespec ts;
	int64_t now = mono_ms(), rt = (int64_t)(now_realtime_ns() / 1000000);
	char start[25];
	int e;

	if (!r->tl)
		return -ENOENT;
	tl_sample_now(r->tl, now);
	/* the start, in wall-clock time: now less the time sampled */
	rt -= now - r->tl->start_ms;
	ts.tv_sec = rt / 1000;
	ts.tv_nsec = (rt % 1000) * 1000000;
	rfc3339_format_ms(&ts, start);
	e = tl_format(r->tl, r->cfg.run_id, start, &b);
	if (e == 0)
		e = write_file(r, &b);
	if (e < 0)
		sn_log(LOG_WARNING, "%s: cannot write its timeline: %s", r->cfg.run_id, strerror(-e));
	sn_tl_free(s, r);
	return e;
}

void sn_tl_free(struct sentinel *s, struct run *r)
{
	if (!r->tl)
		return;
	tl_free(r->tl);
	free(r->tl);
	r->tl = NULL;
	rearm(s);
}
