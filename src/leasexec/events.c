/* SPDX-License-Identifier: ISC */
/* events: see events.h.  argv and other caller strings are made valid UTF-8
 * first; the audit module's canonical writer escapes the rest. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "artifacts.h"
#include "assessment.h"
#include "events.h"
#include "paths.h"

static void ctx(const struct run *r, struct audit_ctx *a)
{
	memset(a, 0, sizeof(*a));
	a->log_path = calyx_paths.audit_log;
	a->key_path = calyx_paths.audit_key;
	a->host = r->host[0] ? r->host : "localhost";
	a->uid = r->caller.uid;
	a->user = r->caller.user[0] ? r->caller.user : "?";
	a->seal_every = r->policy_loaded ? r->policy.audit_seal_every : 64;
	a->rotate_size = r->policy_loaded ? r->policy.audit_rotate_size : 0;
	a->syslog = r->policy_loaded ? r->policy.audit_syslog : true;
}

static void add_safe(cJSON *o, const char *k, const char *v)
{
	_cleanup_free_ char *s = str_utf8_safe(v ? v : "");

	cJSON_AddStringToObject(o, k, s ? s : "?");
}

static cJSON *argv_json(char *const *argv)
{
	cJSON *a = cJSON_CreateArray();

	for (; a && argv && *argv; argv++) {
		_cleanup_free_ char *s = str_utf8_safe(*argv);

		cJSON_AddItemToArray(a, cJSON_CreateString(s ? s : "?"));
	}
	return a;
}

static cJSON *request_json(const struct run *r)
{
	cJSON *d = cJSON_CreateObject();

	if (r->cli.argv)
		cJSON_AddItemToObject(d, "argv", argv_json(r->shown_argv ? r->shown_argv :
							  r->cli.argv));
	add_safe(d, "cwd", r->caller.cwd);
	if (r->caller.tty[0])
		add_safe(d, "tty", r->caller.tty);
	return d;
}

static const char *lease_ref(const struct run *r)
{
	return r->lease_id[0] ? r->lease_id : NULL;
}

static int append(const struct run *r, const struct audit_event *ev, size_t n, bool seal,
		  struct audit_result *ar)
{
	struct audit_ctx a;
	struct calyx_err err = { 0 };
	int e;

	ctx(r, &a);
	/* a sealed append is the last of a leasexec process (denial, failure, dry
	 * run, end of the run): its key evolution overlaps what the process still
	 * does, and main() waits for it before exiting */
	a.evolve_behind = seal;
	e = audit_append(&a, ev, n, seal, ar, &err);
	if (e < 0)
		fprintf(stderr, "leasexec: audit: %s: %s\n", err.where, err.msg);
	return e;
}

/* The assess_event of this run, when the policy assesses: PASSED, DENIED, OVERRIDDEN. */
static size_t assess_event(const struct run *r, struct audit_event *ev, cJSON **d, bool dry)
{
	static const char *const types[] = { "assess_event.PASSED", "assess_event.DENIED",
					     "assess_event.OVERRIDDEN" };

	if (!r->assess || !(*d = assessment_json(r, ASSESS_AUDIT_FINDINGS)))
		return 0;
	if (r->cli.argv)
		cJSON_AddItemToObject(*d, "argv", argv_json(r->shown_argv ? r->shown_argv :
							   r->cli.argv));
	if (dry)
		cJSON_AddBoolToObject(*d, "dry_run", true);
	ev->type = types[r->adec.outcome];
	ev->lease = r->lease.id;
	ev->run = r->run_id[0] ? r->run_id : NULL;
	ev->details = *d;
	return 1;
}

int ev_denied(struct run *r, struct audit_result *ar)
{
	_cleanup_cjson_ cJSON *d = request_json(r), *ad = NULL;
	struct audit_event ev[2];
	size_t n = 0;

	/* the assessment's record goes before a denial it caused: its own, or
	 * auth_assess's PAM (r->assess is set only once the assessment ran) */
	if (r->assess && ((r->adec.outcome == AO_DENIED && strcmp(r->dec.clause, "assess") == 0) ||
			  strcmp(r->dec.clause, "auth") == 0))
		n = assess_event(r, &ev[0], &ad, r->cli.dry_run);
	ev[n] = (struct audit_event){ "lease_event.DENIED", lease_ref(r), NULL, d };
	add_safe(d, "clause", r->dec.clause);
	add_safe(d, "reason", r->dec.reason);
	return append(r, ev, n + 1, true, ar);
}

int ev_failed(struct run *r, struct audit_result *ar)
{
	_cleanup_cjson_ cJSON *d = request_json(r);
	struct audit_event ev = { "exec_event.FAILED", lease_ref(r), r->run_id[0] ? r->run_id : NULL,
				  d };

	cJSON_AddStringToObject(d, "stage", stage_name(r->stage));
	add_safe(d, "where", r->err.where);
	add_safe(d, "error", r->err.msg);
	return append(r, &ev, 1, true, ar);
}

static cJSON *verified_json(const struct run *r, bool dry)
{
	cJSON *d = request_json(r), *s = cJSON_AddArrayToObject(d, "signers");

	for (size_t i = 0; i < r->lease.n_signers; i++)
		cJSON_AddItemToArray(s, cJSON_CreateString(r->lease.signers[i].kid));
	cJSON_AddStringToObject(d, "command", r->dec.cmd_path);
	if (r->dec.profile)
		cJSON_AddStringToObject(d, "profile", r->dec.profile->name);
	if (r->auth[0])
		cJSON_AddStringToObject(d, "auth", r->auth);
	if (dry)
		cJSON_AddBoolToObject(d, "dry_run", true);
	return d;
}

int ev_dry_run(struct run *r, const struct plan *p)
{
	_cleanup_cjson_ cJSON *d = verified_json(r, true), *ad = NULL;
	struct audit_event ev[2] = { { "lease_event.VERIFIED", r->lease.id, NULL, d } };
	size_t n = 1 + assess_event(r, &ev[1], &ad, true);

	return append(r, ev, n, true, NULL);
}

int ev_start(struct run *r, const struct plan *p, const struct sup *s, struct audit_result *ar)
{
	_cleanup_cjson_ cJSON *v = verified_json(r, false), *u = cJSON_CreateObject();
	_cleanup_cjson_ cJSON *st = cJSON_CreateObject(), *ad = NULL;
	struct audit_event ev[4] = {
		{ "lease_event.VERIFIED", r->lease.id, r->run_id, v },
		{ "lease_event.USED", r->lease.id, r->run_id, u },
		{ "exec_event.STARTED", r->lease.id, r->run_id, st },
	};
	size_t n = 3;

	/* after VERIFIED, before USED: the order in which leasexec decided */
	if (assess_event(r, &ev[3], &ad, false)) {
		struct audit_event a = ev[3];

		ev[3] = ev[2];
		ev[2] = ev[1];
		ev[1] = a;
		n = 4;
	}

	cJSON_AddNumberToObject(u, "use", (double)r->use);
	cJSON_AddNumberToObject(u, "max_uses", (double)r->lease.max_uses);
	cJSON_AddNumberToObject(st, "pid", s->pid > 0 ? s->pid : -s->pid);
	cJSON_AddStringToObject(st, "run_as", p->run_as);
	cJSON_AddNumberToObject(st, "cgroup_id", (double)p->cg.id);
	cJSON_AddItemToObject(st, "layers", plan_layers_json(p));
	return append(r, ev, n, false, ar);
}

int ev_end(struct run *r, const struct plan *p, const struct sup *s, int exit_code,
	   struct audit_result *ar)
{
	_cleanup_cjson_ cJSON *d = art_outcome_json(s, exit_code);
	const char *type = "exec_event.EXITED";
	struct audit_event ev = { NULL, r->lease.id, r->run_id, d };

	if (s->failed)
		type = "exec_event.FAILED";
	else if (s->kill == KILL_WALL || s->kill == KILL_EXPIRY)
		type = "exec_event.TIMEOUT";
	else if (s->kill)
		type = "exec_event.KILLED";
	ev.type = type;
	cJSON_AddNumberToObject(d, "duration_ms", (double)(s->end_ms - s->start_ms));
	if (p->stage.n)
		cJSON_AddItemToObject(d, "stage", stg_json(p));
	if (ec_on(&p->ec))
		cJSON_AddNumberToObject(d, "exec_args_refused", (double)s->ec.refused);
	if (p->capture) {
		cJSON_AddStringToObject(d, "stdout_sha256", s->out[0].sha_hex);
		if (!s->pty)
			cJSON_AddStringToObject(d, "stderr_sha256", s->out[1].sha_hex);
	}
	if (s->pty && s->started) {
		cJSON_AddStringToObject(d, "session_sha256", s->pty->cast.sha_hex);
		cJSON_AddBoolToObject(d, "session_input", s->pty->cast.with_input);
	}
	return append(r, &ev, 1, true, ar);
}
