/* SPDX-License-Identifier: ISC */
/*
 * artifacts: the run directory var/lib/calyx/runs/RUN-…/ (DESIGN §7):
 * stdout.log, stderr.log, exit_code.txt and meta.json.  Root-owned, readable
 * by the subject's group, never writable by the subject.  The logs are not
 * fsync'ed: their SHA-256 is in the durable audit record instead.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "artifacts.h"
#include "assessment.h"
#include "canon.h"
#include "fsutil.h"
#include "paths.h"
#include "runtimeline.h"

static int create_file(const struct run *r, const struct plan *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->run_dir, name);
	/* read-write: output.c hashes a large stdout.log by reading it back */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd >= 0 && fchown(fd, 0, r->caller.gid) < 0) {
		close(fd);
		return -errno;
	}
	return fd < 0 ? -errno : fd;
}

int art_place(const struct run *r, const struct plan *p, int fd, const char *name,
	      const void *data, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", p->run_dir, name);
	return file_place(fd, path, data, len, 0640, 0, r->caller.gid);
}

static int open_failed(struct run *r, const struct plan *p, const char *name, int e)
{
	r->stage = STAGE_ARTIFACTS;
	return err_set(&r->err, -e, p->run_dir, "cannot create %s: %s", name, strerror(-e));
}

int art_open(struct run *r, const struct plan *p, struct sup *s)
{
	int out = create_file(r, p, "stdout.log"), err = -1;

	if (out < 0 || (err = create_file(r, p, "stderr.log")) < 0) {
		if (out >= 0)
			close(out);
		return open_failed(r, p, out < 0 ? "stdout.log" : "stderr.log", out < 0 ? out : err);
	}
	sup_set_logs(p, s, out, err);
	if (p->pty && (s->cast_fd = create_file(r, p, "session.cast")) < 0)
		return open_failed(r, p, "session.cast", s->cast_fd);
	/* a file system without O_TMPFILE: they are made when written */
	s->art_fd[ART_META] = file_unnamed(p->run_dir, 0640, 0, r->caller.gid);
	s->art_fd[ART_EXIT_CODE] = file_unnamed(p->run_dir, 0640, 0, r->caller.gid);
	if (rtl_wanted(r, p))
		s->art_fd[ART_TIMELINE] = file_unnamed(p->run_dir, 0640, 0, r->caller.gid);
	return 0;
}

void art_discard(const struct plan *p)
{
	static const char *const files[] = { "stdout.log", "stderr.log", "session.cast" };
	_cleanup_close_ int dfd = open(p->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		unlinkat(dfd, files[i], 0);
	rmdir(p->run_dir);
}

static cJSON *strv_json(char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (; a && v && *v; v++) {
		_cleanup_free_ char *s = str_utf8_safe(*v);

		cJSON_AddItemToArray(a, cJSON_CreateString(s ? s : "?"));
	}
	return a;
}

static cJSON *env_names(char *const *env)
{
	cJSON *a = cJSON_CreateArray();

	for (; a && env && *env; env++) {
		char name[160];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(*env, "="), *env);
		cJSON_AddItemToArray(a, cJSON_CreateString(name));
	}
	return a;
}

static cJSON *limits_json(const struct limits *lim)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < LIM__MAX; i++)
		if (lim->set & (1u << i))
			cJSON_AddNumberToObject(o, limit_name(i), (double)lim->v[i]);
	return o;
}

/* Limits the profile gives as shares of the host: the share and what the host had. */
cJSON *art_shares_json(const struct run *r, const struct limits *lim)
{
	cJSON *o = cJSON_CreateObject(), *h;

	for (int i = 0; o && i < LIM__MAX; i++)
		if (lim->share & (1u << i))
			cJSON_AddNumberToObject(o, limit_name(i), lim->pct[i]);
	h = cJSON_AddObjectToObject(o, "host_free");
	cJSON_AddNumberToObject(h, "memory", (double)r->req.host_free.mem_bytes);
	cJSON_AddNumberToObject(h, "cpu", (double)r->req.host_free.cpu_milli);
	return o;
}

static void add_num(cJSON *o, const char *k, int64_t v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, k, (double)v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *usage_json(const struct plan *p, const struct sup *s)
{
	cJSON *u = cJSON_CreateObject();
	struct cg_stats cs;

	memset(&cs, 0xff, sizeof(cs));
	if (p->cg_made)
		cg_stats(&p->cg, &cs);
	add_num(u, "cpu_user_usec", cs.cpu_user_usec >= 0 ? cs.cpu_user_usec :
		(int64_t)s->ru.ru_utime.tv_sec * 1000000 + s->ru.ru_utime.tv_usec);
	add_num(u, "cpu_sys_usec", cs.cpu_sys_usec >= 0 ? cs.cpu_sys_usec :
		(int64_t)s->ru.ru_stime.tv_sec * 1000000 + s->ru.ru_stime.tv_usec);
	add_num(u, "memory_peak", cs.memory_peak >= 0 ? cs.memory_peak :
		(int64_t)s->ru.ru_maxrss * 1024);
	cJSON_AddStringToObject(u, "memory_peak_source", cs.memory_peak >= 0 ? "cgroup" :
				"rusage of the main process");
	add_num(u, "cpu_throttled_usec", cs.cpu_throttled_usec);
	add_num(u, "pids_peak", cs.pids_peak);
	add_num(u, "oom_kills", cs.oom_kills);
	add_num(u, "pids_limit_hits", cs.pids_max_hits);
	add_num(u, "io_read_bytes", cs.io_read_bytes);
	add_num(u, "io_write_bytes", cs.io_write_bytes);
	return u;
}

/* --pty: the terminal, and the recording of everything it showed. */
static cJSON *terminal_json(const struct plan *p, const struct sup *s)
{
	cJSON *o = cJSON_CreateObject(), *rec;
	const struct cast *c = &s->pty->cast;

	cJSON_AddBoolToObject(o, "pty", true);
	cJSON_AddNumberToObject(o, "cols", s->pty->cols);
	cJSON_AddNumberToObject(o, "rows", s->pty->rows);
	cJSON_AddBoolToObject(o, "caller_tty", p->pty_caller_tty);
	cJSON_AddStringToObject(o, "term", p->term);
	rec = cJSON_AddObjectToObject(o, "recording");
	cJSON_AddStringToObject(rec, "file", "session.cast");
	cJSON_AddStringToObject(rec, "format", "asciicast v2");
	cJSON_AddNumberToObject(rec, "bytes", (double)c->bytes);
	cJSON_AddNumberToObject(rec, "events", (double)c->events);
	cJSON_AddBoolToObject(rec, "input", c->with_input);
	cJSON_AddBoolToObject(rec, "truncated", c->truncated);
	cJSON_AddStringToObject(rec, "sha256", c->sha_hex);
	return o;
}

static cJSON *stream_json(const struct stream *st, bool capture)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "captured", capture);
	if (!capture)
		return o;
	cJSON_AddNumberToObject(o, "bytes", (double)st->total);
	cJSON_AddNumberToObject(o, "kept", (double)st->kept);
	cJSON_AddBoolToObject(o, "truncated", st->truncated);
	cJSON_AddStringToObject(o, "sha256", st->sha_hex);
	return o;
}

cJSON *art_outcome_json(const struct sup *s, int exit_code)
{
	cJSON *o = cJSON_CreateObject();
	int st = s->status;

	cJSON_AddNumberToObject(o, "exit_code", exit_code);
	if (s->failed) {
		cJSON_AddStringToObject(o, "failed_stage", stage_name((enum stage)s->rep.stage));
		cJSON_AddStringToObject(o, "error", s->rep.msg);
	} else if (WIFEXITED(st)) {
		cJSON_AddNumberToObject(o, "status", WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		cJSON_AddNumberToObject(o, "signal", WTERMSIG(st));
	}
	if (s->kill)
		cJSON_AddStringToObject(o, "kill_reason", kill_reason_name(s->kill));
	if (s->killed_stopped)
		cJSON_AddBoolToObject(o, "killed_while_stopped", true);
	cJSON_AddBoolToObject(o, "leftover_processes_killed", s->leftovers);
	cJSON_AddNumberToObject(o, "orphans_reaped", s->orphans_reaped);
	return o;
}

static void add_times(cJSON *m, const struct sup *s)
{
	char t[25];

	rfc3339_format_ms(&s->start_rt, t);
	cJSON_AddStringToObject(m, "start", t);
	rfc3339_format_ms(&s->end_rt, t);
	cJSON_AddStringToObject(m, "end", t);
	cJSON_AddNumberToObject(m, "duration_ms",
				(double)(s->end_ms > s->start_ms ? s->end_ms - s->start_ms : 0));
}

static cJSON *identity_json(const struct run *r, const struct plan *p)
{
	cJSON *o = cJSON_CreateObject(), *caps = cJSON_AddArrayToObject(o, "caps");

	cJSON_AddStringToObject(o, "subject", r->lease.subject);
	cJSON_AddStringToObject(o, "run_as", p->run_as);
	cJSON_AddNumberToObject(o, "uid", p->id.uid);
	cJSON_AddNumberToObject(o, "gid", p->id.gid);
	for (int c = 0; c < 64; c++)
		if (p->id.keep_caps & (1ULL << c))
			cJSON_AddItemToArray(caps, cJSON_CreateString(cap_name(c)));
	return o;
}

static cJSON *kernel_json(const struct plan *p)
{
	cJSON *o = cJSON_CreateObject();
	struct utsname u;

	if (uname(&u) == 0)
		cJSON_AddStringToObject(o, "release", u.release);
	cJSON_AddNumberToObject(o, "landlock_abi", p->ll.abi);
	cJSON_AddStringToObject(o, "cgroup_v2_root", p->cgl.v2_root);
	cJSON_AddNumberToObject(o, "cgroup_id", (double)p->cg.id);
	return o;
}

/* exec "listed": the refusals are the sentinel's count (null without it);
 * those of the exec checker (argument rules) are ours, and in that count too. */
static cJSON *exec_json(const struct plan *p, const struct sup *s, const cJSON *sentinel)
{
	cJSON *x = xp_json(&p->xs);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(sentinel, "execs_refused");

	if (x && p->xs.mode == EXEC_LISTED)
		cJSON_AddItemToObject(x, "refused", n ? cJSON_Duplicate(n, 0) : cJSON_CreateNull());
	if (x && ec_on(&p->ec))
		cJSON_AddItemToObject(x, "args_refused", ec_json(&s->ec));
	return x;
}

int art_finish(struct run *r, const struct plan *p, const struct sup *s,
	       const struct audit_result *ar, int exit_code, cJSON *sentinel, cJSON *timeline)
{
	_cleanup_cjson_ cJSON *m = cJSON_CreateObject();
	_cleanup_buf_ struct buf b = { 0 };
	char code[16];
	cJSON *audit;
	int e;

	cJSON_AddStringToObject(m, "run", r->run_id);
	cJSON_AddStringToObject(m, "lease", r->lease.id);
	if (r->lease.intent)
		cJSON_AddStringToObject(m, "intent", r->lease.intent);
	cJSON_AddStringToObject(m, "host", r->host);
	cJSON_AddItemToObject(m, "identity", identity_json(r, p));
	cJSON_AddStringToObject(m, "command", p->cmd_path);
	cJSON_AddItemToObject(m, "argv", strv_json(r->shown_argv ? r->shown_argv : p->argv));
	cJSON_AddStringToObject(m, "cwd", p->cwd);
	cJSON_AddItemToObject(m, "env", env_names(p->envp));
	cJSON_AddItemToObject(m, "env_removed", strv_json(p->env_removed));
	add_times(m, s);
	cJSON_AddItemToObject(m, "outcome", art_outcome_json(s, exit_code));
	cJSON_AddItemToObject(m, "limits", limits_json(&p->lim));
	if (p->lim.share)
		cJSON_AddItemToObject(m, "limit_shares", art_shares_json(r, &p->lim));
	cJSON_AddStringToObject(m, "network", net_mode_name(p->net));
	cJSON_AddItemToObject(m, "layers", plan_layers_json(p));
	cJSON_AddItemToObject(m, "exec", exec_json(p, s, sentinel));
	cJSON_AddItemToObject(m, "kernel", kernel_json(p));
	cJSON_AddItemToObject(m, "usage", usage_json(p, s));
	cJSON_AddItemToObject(m, "stdout", stream_json(&s->out[0], p->capture));
	cJSON_AddItemToObject(m, "stderr", stream_json(&s->out[1], p->capture && !s->pty));
	if (s->pty)
		cJSON_AddItemToObject(m, "terminal", terminal_json(p, s));
	cJSON_AddItemToObject(m, "sentinel", sentinel ? sentinel : cJSON_CreateObject());
	if (r->assess)
		cJSON_AddItemToObject(m, "assess", assessment_json(r, ASSESS_MAX_FINDINGS));
	if (timeline)
		cJSON_AddItemToObject(m, "timeline", timeline);
	if (p->stage.n)
		cJSON_AddItemToObject(m, "stage", stg_json(p));
	audit = cJSON_AddObjectToObject(m, "audit");
	cJSON_AddNumberToObject(audit, "first_seq", (double)ar->first_seq);
	cJSON_AddNumberToObject(audit, "last_seq", (double)ar->last_seq);
	if (canon_write(m, &b) < 0 || buf_addc(&b, '\n') < 0)
		return err_set(&r->err, ENOMEM, "meta.json", "cannot serialise");
	snprintf(code, sizeof(code), "%d\n", exit_code);
	if ((e = art_place(r, p, s->art_fd[ART_META], "meta.json", b.data, b.len)) < 0 ||
	    (e = art_place(r, p, s->art_fd[ART_EXIT_CODE], "exit_code.txt", code, strlen(code))) < 0)
		return err_set(&r->err, -e, p->run_dir, "cannot write meta.json or exit_code.txt: %s",
			       strerror(-e));
	return 0;
}
