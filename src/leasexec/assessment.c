/* SPDX-License-Identifier: ISC */
/*
 * assessment: see assessment.h.  Code files named by the request are read
 * with the caller's file permissions (priv_fs_as), never root's; external
 * assessors drop to the policy's assess.user through priv.c.  The override
 * reason comes from the caller: it is bounded by cli.c and stored escaped.
 * Nothing from the caller's environment chooses what is assessed or how.
 */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "assessment.h"
#include "paths.h"
#include "priv.h"

static int open_as_caller(void *ctx, const char *path)
{
	const struct run *r = ctx;
	struct fs_ids saved;
	int fd;

	priv_fs_as(r->caller.uid, r->caller.gid, &saved);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	fd = fd < 0 ? -errno : fd;
	priv_fs_restore(&saved);
	return fd;
}

static int fail(struct run *r, int code)
{
	r->stage = STAGE_ASSESS;
	return code < 0 ? code : -code;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static bool needs_external(const struct assess_policy *p)
{
	return p->assessors & ~(1u << AX_SECRETS | 1u << AX_DANGER);
}

static int setup(struct run *r, struct assess_env *e, struct priv_assessor *d, char *cache, size_t n)
{
	const struct assess_policy *pol = &r->policy.assess;
	struct passwd *pw;

	e->pol = pol;
	e->ctx.never_writable = r->policy.never_writable;
	e->ctx.protected_branches = pol->protected_branches;
	e->open_code = open_as_caller;
	e->open_ctx = r;
	if (!needs_external(pol))
		return 0;
	pw = getpwnam(pol->user);
	if (!pw || pw->pw_uid == 0)
		return fail(r, err_set(&r->err, ENOENT, "policy.assess.user", "\"%s\" is not an "
				       "unprivileged user on this host", pol->user));
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	e->drop = priv_drop_assessor;
	e->drop_ctx = d;
	snprintf(cache, n, "%s/assess", calyx_paths.state);
	e->cache_dir = cache;
	return 0;
}

static void decide(struct run *r)
{
	const struct assess_policy *pol = &r->policy.assess;
	struct assess_terms t = {
		.policy_max = pol->default_max,
		.lease_max = r->lease.assess_max_set ? r->lease.assess_max : -1,
		.lease_override = r->lease.assess_override,
		.override_max = pol->override_max,
		.override = r->cli.override != NULL,
		.lease_id = r->lease.id,
	};

	assess_decide(&t, r->assess, &r->adec);
	if (r->adec.outcome != AO_DENIED)
		return;
	r->dec.allow = false;
	str_copy(r->dec.clause, sizeof(r->dec.clause), "assess");
	str_copy(r->dec.reason, sizeof(r->dec.reason), r->adec.reason);
	str_copy(r->dec.hint, sizeof(r->dec.hint), r->adec.hint);
}

/* argv[i] that holds a secret is shown as "<redacted: KIND sha256:XXXXXXXX>" in records. */
static int redact_argv(struct run *r)
{
	size_t n = strv_len(r->cli.argv), i;

	for (size_t k = 0; k < r->assess->n; k++) {
		const struct assess_finding *f = &r->assess->f[k];
		char tail;

		if (!f->hash8[0] || sscanf(f->where, "argv[%zu]%c", &i, &tail) != 1 || i >= n)
			continue;
		if (!r->shown_argv) {
			r->shown_argv = calloc(n + 1, sizeof(char *));
			for (size_t j = 0; r->shown_argv && j < n; j++)
				r->shown_argv[j] = strdup(r->cli.argv[j]);
			if (!r->shown_argv)
				return -ENOMEM;
		}
		free(r->shown_argv[i]);
		if (asprintf(&r->shown_argv[i], "<redacted: %s sha256:%s>", f->kind, f->hash8) < 0)
			r->shown_argv[i] = NULL;
	}
	for (size_t j = 0; r->shown_argv && j < n; j++)
		if (!r->shown_argv[j])
			return -ENOMEM;
	return 0;
}

int assessment_run(struct run *r, char *const *envp)
{
	struct assess_env e = { 0 };
	struct priv_assessor d;
	char cache[4096];
	uint64_t t0 = now_us();
	struct assess_input in = {
		.argv = r->cli.argv,
		.envp = envp,
		.exe = r->dec.cmd_path,
		.script_fd = r->cmd_script ? r->cmd_fd : -1,
		.cwd = r->caller.cwd,
	};
	int e2;

	if (!r->policy.assess.enabled)
		return 0;
	r->assess = calloc(1, sizeof(*r->assess));
	if (!r->assess)
		return fail(r, err_set(&r->err, ENOMEM, "assess", "out of memory"));
	assess_report_init(r->assess);
	if ((e2 = setup(r, &e, &d, cache, sizeof(cache))) < 0)
		return e2;
	e2 = assess_request(&e, &in, r->assess, &r->astats);
	if (e2 < 0)
		return fail(r, err_set(&r->err, e2, "assess", "%s", strerror(-e2)));
	r->assess_us = now_us() - t0;
	if ((e2 = redact_argv(r)) < 0)
		return fail(r, err_set(&r->err, ENOMEM, "assess", "out of memory"));
	decide(r);
	return r->adec.outcome == AO_DENIED ? -EPERM : 0;
}

cJSON *assessment_json(const struct run *r, size_t max_findings)
{
	cJSON *o = assess_report_json(r->assess, max_findings), *x;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ceiling", assess_level_name(r->adec.ceiling));
	cJSON_AddStringToObject(o, "outcome", assess_outcome_name(r->adec.outcome));
	if (r->cli.override) {
		_cleanup_free_ char *s = str_utf8_safe(r->cli.override);

		if (s)
			str_one_line(s);
		cJSON_AddStringToObject(o, "override_reason", s ? s : "?");
	}
	cJSON_AddNumberToObject(o, "duration_us", (double)r->assess_us);
	x = cJSON_AddObjectToObject(o, "external");
	cJSON_AddNumberToObject(x, "runs", r->astats.ext_runs);
	cJSON_AddNumberToObject(x, "cached", r->astats.ext_cached);
	cJSON_AddNumberToObject(x, "errors", r->astats.ext_errors);
	return o;
}

void assessment_print(const struct run *r)
{
	char line[384];

	if (!r->assess) {
		printf("  assessment  none (the policy has no assess section)\n");
		return;
	}
	printf("  assessment  %s, ceiling %s: %s%s\n", assess_level_name(r->adec.level),
	       assess_level_name(r->adec.ceiling), assess_outcome_name(r->adec.outcome),
	       r->adec.outcome == AO_DENIED ? " (the run would be refused)" : "");
	for (size_t i = 0; i < r->assess->n; i++) {
		_cleanup_free_ char *s = NULL;

		assess_finding_line(&r->assess->f[i], line, sizeof(line));
		s = str_utf8_safe(line);
		printf("    %-7s %s\n", assess_level_name(r->assess->f[i].level), s ? s : "?");
	}
	if (r->assess->dropped)
		printf("    … and %zu more\n", r->assess->dropped);
}

void assessment_free(struct run *r)
{
	free(r->assess);
	r->assess = NULL;
	strv_free(r->shown_argv);
	r->shown_argv = NULL;
}
