/* SPDX-License-Identifier: ISC */
/*
 * leasexec: the stage runner.  The only place that prints outcomes and
 * picks exit codes (DESIGN §5): the child's status, 128+N for signal N,
 * 64 usage, 77 denied, 124 wall limit or lease expiry, 125 leasexec failed,
 * 126 cannot execute, 127 not found.  Every outcome is audited first.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "artifacts.h"
#include "assessment.h"
#include "attribution.h"
#include "audit.h"
#include "auth.h"
#include "cli.h"
#include "events.h"
#include "hygiene.h"
#include "paths.h"
#include "priv.h"
#include "request.h"
#include "runtimeline.h"
#include "sig.h"
#include "supervise.h"

const char *stage_name(enum stage s)
{
	static const char *const names[STAGE__MAX] = {
		"none", "hygiene", "privileges", "configuration", "load", "verify", "state",
		"command", "plan", "audit", "artifacts", "cgroup", "fork", "namespaces", "mounts",
		"network", "rlimits", "setsid", "ids", "no_new_privs", "landlock", "seccomp",
		"exec", "sentinel", "supervise", "pty", "auth", "assess",
	};

	return (unsigned)s < STAGE__MAX ? names[s] : "?";
}

static void print_err(const struct calyx_err *err, const char *stage)
{
	fprintf(stderr, "leasexec: %s%s", stage ? stage : "", stage ? ": " : "");
	if (err->where[0])
		fprintf(stderr, "%s: ", err->where);
	fprintf(stderr, "%s\n", err->msg[0] ? err->msg : strerror(-err->code));
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
}

/* 77: print the clause, audit the denial.  An audit failure does not turn a
 * denial into anything else: nothing runs either way. */
static int deny(struct run *r)
{
	_cleanup_free_ char *reason = str_utf8_safe(r->dec.reason);

	ev_denied(r, NULL);
	fprintf(stderr, "leasexec: denied: %s\n", reason ? reason : r->dec.clause);
	if (r->dec.hint[0])
		fprintf(stderr, "hint: %s\n", r->dec.hint);
	return EXIT_DENIED;
}

/* 125 (or 126/127 for a command that cannot run): print, audit. */
static int failed(struct run *r, int code)
{
	print_err(&r->err, stage_name(r->stage));
	ev_failed(r, NULL);
	return code;
}

static int exec_failure_code(int e)
{
	if (e == -ETIMEDOUT)
		return EXIT_TIMEOUT; /* its wall limit or the lease's expiry came first */
	if (e == -ENOENT)
		return EXIT_NOTFOUND;
	if (e == -EACCES || e == -ENOEXEC || e == -EPERM || e == -ETXTBSY || e == -EISDIR)
		return EXIT_NOEXEC;
	return EXIT_FAILED;
}

static int exit_code_of(const struct sup *s)
{
	if (s->failed)
		return s->rep.stage == STAGE_EXEC ? exec_failure_code(s->rep.code) : EXIT_FAILED;
	if (s->kill == KILL_WALL || s->kill == KILL_EXPIRY)
		return EXIT_TIMEOUT;
	if (WIFEXITED(s->status))
		return WEXITSTATUS(s->status);
	if (WIFSIGNALED(s->status))
		return 128 + WTERMSIG(s->status);
	return EXIT_FAILED;
}

static void summary(const struct run *r, const struct plan *p, const struct sup *s, int code)
{
	uint64_t ms = s->end_ms - s->start_ms;

	if (s->failed) {
		fprintf(stderr, "leasexec: %s: %s%s%s\n", stage_name((enum stage)s->rep.stage),
			s->rep.where, s->rep.where[0] ? ": " : "", s->rep.msg);
		return;
	}
	if (s->kill)
		fprintf(stderr, "leasexec: %s killed%s: %s\n", r->run_id,
			s->killed_stopped ? " while stopped" : "",
			s->kill == KILL_WALL ? "wall-clock limit reached" :
			s->kill == KILL_EXPIRY ? "the lease expired" :
			s->kill == KILL_REVOKED ? "the lease was revoked" :
			s->kill == KILL_KILLSWITCH ? "the kill switch is on" : "sentinel violation");
	if (!r->cli.quiet)
		fprintf(stderr, "leasexec: %s exited %d in %llu.%03llus; artifacts in %s\n",
			r->run_id, code, (unsigned long long)(ms / 1000),
			(unsigned long long)(ms % 1000), p->run_dir);
}

static int finish(struct run *r, struct plan *p, struct sup *s, struct audit_result *ar,
		  struct attribution *a)
{
	struct audit_result end = { 0 };
	cJSON *tl;
	int code;

	attr_unregister(p, a);
	if (a->sum.killed && !s->kill)
		s->kill = KILL_SENTINEL;
	code = exit_code_of(s);
	/* the staged changes are on record before the EXITED record names their digest */
	stg_collect(r, p);
	if (ev_end(r, p, s, code, &end) < 0 && code == 0)
		code = EXIT_FAILED; /* the run happened, but its end is not on record */
	/* the record is not made of the timeline: its last sample (the cgroup is still
	 * there) and the file are written while the record is synced, on a thread */
	tl = a->timeline ? rtl_adopt(r, p, s, a->sum.timeline) : rtl_finish(s->tl, r, p, s);
	ar->last_seq = end.last_seq ? end.last_seq : ar->last_seq;
	if (art_finish(r, p, s, ar, code, attr_json(r, a), tl) < 0)
		print_err(&r->err, "artifacts");
	summary(r, p, s, code);
	return code;
}

/* The child was spawned but must not start: it is killed waiting for "go". */
static int abort_spawned(struct run *r, struct plan *p, struct sup *s)
{
	sup_abort(p, s);
	sup_free(s);
	art_discard(p); /* nothing ran: the FAILED record says why */
	return failed(r, EXIT_FAILED);
}

static int launch(struct run *r, struct plan *p)
{
	struct audit_result ar = { 0 };
	struct attribution a = { 0 };
	struct tl tl;
	struct sup s;
	int code;

	if (sup_spawn(r, p, &s) < 0) {
		if (r->stage != STAGE_PTY)
			r->stage = STAGE_FORK;
		sup_free(&s);
		art_discard(p);
		return failed(r, EXIT_FAILED);
	}
	if (!s.placed && p->cg_made && cg_attach_v2(&p->cg, s.pid, &r->err) < 0) {
		r->stage = STAGE_CGROUP;
		return abort_spawned(r, p, &s);
	}
	/* the run directory's files while the child builds the sandbox */
	if (art_open(r, p, &s) < 0)
		return abort_spawned(r, p, &s);
	if (attr_register(r, p, s.pid, &a) < 0 || ev_start(r, p, &s, &ar) < 0) {
		attr_unregister(p, &a);
		if (r->stage != STAGE_SENTINEL)
			r->stage = STAGE_AUDIT;
		if (!r->err.msg[0])
			err_set(&r->err, EIO, calyx_paths.audit_log, "the STARTED record cannot be "
				"written: refusing to run");
		return abort_spawned(r, p, &s);
	}
	if (sup_go(r, p, &s) < 0) {
		waitpid(s.pid, &s.status, 0);
		s.end_ms = mono_now_ms();
		clock_gettime(CLOCK_REALTIME, &s.end_rt);
		sup_abort(p, &s);
	} else {
		/* the sentinel samples it when it agreed to */
		s.tl = a.timeline ? NULL : rtl_begin(&tl, r, p, &s);
		sup_loop(r, p, &s);
	}
	code = finish(r, p, &s, &ar, &a);
	r->mntns = ns_take(s.ns_sock); /* let go of in main(), while the audit log syncs */
	sup_free(&s);
	return code;
}

/* Best-effort layers this host lacks: never silent (also in meta.json and the audit). */
static void print_degraded(const struct plan *p)
{
	for (int i = 0; i < LAYER__MAX; i++) {
		if (p->layer[i].state != LS_DEGRADED)
			continue;
		fprintf(stderr, "leasexec: note: %s is degraded: %s\n", layer_name(i),
			p->layer[i].detail);
		fprintf(stderr, "hint: the policy marks %s best_effort; make it required to refuse "
			"runs on hosts without it\n", layer_name(i));
	}
}

/* -n: the plan, the assessment, and whether the run would be refused. */
static int dry_run(struct run *r, struct plan *p, bool denied)
{
	if (denied) {
		plan_print(r, p, r->cli.json);
		return deny(r);
	}
	if (ev_dry_run(r, p) < 0)
		return EXIT_FAILED;
	plan_print(r, p, r->cli.json);
	return 0;
}

static void print_overridden(const struct run *r)
{
	_cleanup_free_ char *why = str_utf8_safe(r->cli.override);

	if (why)
		str_one_line(why);
	fprintf(stderr, "leasexec: note: assessment %s is above the ceiling %s; overridden "
		"(audited): %s\n", assess_level_name(r->adec.level),
		assess_level_name(r->adec.ceiling), why ? why : "?");
}

/* auth_assess: the assessment's level asks the caller to authenticate.  It is
 * known only after the assessment, so PAM comes later than for auth: still
 * before a use is taken or anything of the run is made, with the environment
 * cleared at entry (PAM reads nothing of the caller's but the terminal). */
static int auth_after_assess(struct run *r)
{
	int e;

	if (r->dec.auth_pam ||
	    !policy_needs_auth_after_assess(&r->policy, r->assess != NULL, r->adec.level))
		return 0;
	e = auth_caller(r);
	if (e == -EPERM && !r->dec.hint[0])
		snprintf(r->dec.hint, sizeof(r->dec.hint), "the assessment is %s, and the policy's "
			 "auth_assess asks for authentication from %s on",
			 assess_level_name(r->adec.level), assess_level_name(r->policy.auth_assess - 1));
	return e;
}

static int run_main(struct run *r)
{
	struct plan p;
	int e, code;

	if (request_config(r) < 0)
		return failed(r, EXIT_FAILED);
	if (r->cli.list)
		return request_list(r) < 0 ? failed(r, EXIT_FAILED) : 0;
	if (r->cli.forget)
		return auth_forget(r) < 0 ? failed(r, EXIT_FAILED) : 0;
	if ((e = request_load(r)) < 0 || (e = request_decide(r)) < 0)
		return e == -EPERM ? deny(r) : failed(r, EXIT_FAILED);
	/* PAM runs as root: right after the decision, before anything else of the
	 * caller's (command file, environment, paths) is looked at */
	if (r->dec.auth_pam && (e = auth_caller(r)) < 0)
		return e == -EPERM ? deny(r) : failed(r, EXIT_FAILED);
	if ((e = request_open_command(r)) < 0)
		return e == -EPERM ? deny(r) : failed(r, exec_failure_code(e));
	if (priv_limit(r->lease.cap_mask, ec_wanted(&r->lease, r->dec.exec), &r->err) < 0) {
		r->stage = STAGE_PRIV;
		return failed(r, EXIT_FAILED);
	}
	if (plan_compute(r, &p) < 0) {
		plan_free(&p);
		return failed(r, EXIT_FAILED);
	}
	/* the assess stage: after the plan (it knows the environment that will pass),
	 * before anything is spawned or a use is taken */
	e = assessment_run(r, p.envp);
	if ((e < 0 && e != -EPERM) || r->cli.dry_run || e == -EPERM) {
		code = e < 0 && e != -EPERM ? failed(r, EXIT_FAILED) :
		       r->cli.dry_run ? dry_run(r, &p, e == -EPERM) : deny(r);
		plan_free(&p);
		return code;
	}
	if ((e = auth_after_assess(r)) < 0) {
		plan_free(&p);
		return e == -EPERM ? deny(r) : failed(r, EXIT_FAILED);
	}
	if (r->adec.outcome == AO_OVERRIDDEN && !r->cli.quiet)
		print_overridden(r);
	if ((e = request_take_use(r)) < 0)
		code = e == -EPERM ? deny(r) : failed(r, EXIT_FAILED);
	else if (plan_prepare(r, &p) < 0) {
		if (p.run_dir[0])
			art_discard(&p);
		code = failed(r, EXIT_FAILED);
	}
	else if (p.pam_session && (e = auth_session_open(r, &p)) < 0) {
		art_discard(&p);
		code = e == -EPERM ? deny(r) : failed(r, EXIT_FAILED);
	} else {
		if (!r->cli.quiet)
			print_degraded(&p);
		code = launch(r, &p);
		auth_session_close(r);
	}
	if (p.cg_made)
		cg_destroy(&p.cg);
	plan_free(&p);
	return code;
}

static int early(struct run *r, int argc, char **argv)
{
	if (hygiene_enter(&r->caller, &r->err) < 0) {
		print_err(&r->err, "hygiene");
		return EXIT_FAILED;
	}
	if (priv_enter(&r->err) < 0) {
		print_err(&r->err, "privileges");
		return EXIT_FAILED;
	}
	if (sig_init() < 0) {
		fprintf(stderr, "leasexec: cannot initialise libsodium\n");
		return EXIT_FAILED;
	}
	if (cli_parse(argc, argv, &r->cli, &r->err) < 0) {
		fprintf(stderr, "leasexec: %s\n%s", r->err.msg, cli_usage);
		str_copy(r->dec.clause, sizeof(r->dec.clause), "usage");
		str_copy(r->dec.reason, sizeof(r->dec.reason), r->err.msg);
		gethostname(r->host, sizeof(r->host) - 1);
		ev_denied(r, NULL);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = { .cmd_fd = -1, .mntns = -1 };
	int code;

	/* argc == 0 (execve with an empty argv): argv[1] would be envp[0] */
	if (argc < 1 || !argv || !argv[0]) {
		static const char msg[] = "leasexec: refusing to run with an empty argv\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			return EXIT_USAGE;
		return EXIT_USAGE;
	}
	code = early(&r, argc, argv);
	if (code == 0 && (r.cli.help || r.cli.version)) {
		if (r.cli.help)
			fputs(cli_usage, stdout);
		else
			printf("leasexec %s%s%s\n", PACKAGE_VERSION, calyx_paths.prefix_tag[0] ? " " : "",
			       calyx_paths.prefix_tag);
		return 0;
	}
	if (code == 0)
		code = run_main(&r);
	/* the run's mounts go while the last seal is synced and its key evolved on a
	 * thread; we wait for both */
	ns_let_go(&r.mntns);
	if (audit_wait(&r.err) < 0) {
		print_err(&r.err, "audit");
		if (code == 0)
			code = EXIT_FAILED;
	}
	assessment_free(&r);
	run_free(&r);
	fflush(stdout);
	return code;
}
