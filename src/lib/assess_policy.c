/* SPDX-License-Identifier: ISC */
/*
 * assess_policy: the "assess" object of policy.json, read as strictly as the
 * rest of the policy (unknown keys refused, every value typed and bounded).
 * Without it no assessor runs: the assessment is something a site opts into.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "assess.h"
#include "lease.h"

static const char *const assessor_names[AX__MAX + 1] = {
	[AX_SECRETS] = "secrets",
	[AX_DANGER] = "danger",
	[AX_SHELLCHECK] = "shellcheck",
	[AX_BANDIT] = "bandit",
};

const char *const assess_severities[AX__MAX][ASSESS_MAX_SEVERITIES + 1] = {
	[AX_SHELLCHECK] = { "error", "warning", "info", "style", NULL },
	[AX_BANDIT] = { "HIGH", "MEDIUM", "LOW", "UNDEFINED", NULL },
};

static const char *const default_paths[AX__MAX] = {
	[AX_SHELLCHECK] = "/usr/bin/shellcheck",
	[AX_BANDIT] = "/usr/bin/bandit",
};

static const enum assess_level default_levels[AX__MAX][ASSESS_MAX_SEVERITIES] = {
	[AX_SHELLCHECK] = { AL_MEDIUM, AL_LOW, AL_LOW, AL_LOW },
	[AX_BANDIT] = { AL_HIGH, AL_MEDIUM, AL_LOW, AL_LOW },
};

const char *assessor_name(enum assessor a)
{
	return (unsigned)a < AX__MAX ? assessor_names[a] : "?";
}

void assess_policy_defaults(struct assess_policy *p)
{
	memset(p, 0, sizeof(*p));
	memset(p->rule_level, -1, sizeof(p->rule_level));
	p->assessors = 1u << AX_SECRETS | 1u << AX_DANGER;
	p->default_max = AL_MEDIUM;
	p->on_error = AL_BLOCKED;
	p->override_max = AL_HIGH;
	p->timeout_ms = 5000;
	p->memory = 1ULL << 30;
	p->pids = 64;
	p->cpu = 10;
	p->max_file = 4ULL << 20;
	for (int a = AX_EXTERNAL_FIRST; a < AX__MAX; a++)
		memcpy(p->ext[a].level, default_levels[a], sizeof(p->ext[a].level));
}

static int get_level(const cJSON *o, const char *key, const char *where, enum assess_level *ret,
		     struct calyx_err *err)
{
	const char *s = NULL;
	int r = json_get_string(o, key, false, where, &s, err);

	if (r <= 0)
		return r;
	if (assess_level_parse(s, ret) < 0)
		return err_set(err, EINVAL, where, "%s: \"%s\" is not LOW, MEDIUM, HIGH or BLOCKED",
			       key, s);
	return 0;
}

static int parse_assessors(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	_cleanup_strv_ char **v = NULL;
	int r = json_get_strv(o, "assessors", false, AX__MAX, "policy.assess", &v, err);

	if (r <= 0)
		return r;
	p->assessors = 0;
	for (size_t i = 0; v[i]; i++) {
		int a;

		for (a = 0; a < AX__MAX; a++)
			if (strcmp(v[i], assessor_names[a]) == 0)
				break;
		if (a == AX__MAX)
			return err_set(err, EINVAL, "policy.assess.assessors", "\"%s\" is not secrets, "
				       "danger, shellcheck or bandit", v[i]);
		p->assessors |= 1u << a;
	}
	return 0;
}

static int parse_ext_levels(const cJSON *o, enum assessor a, struct assess_policy *p,
			    const char *where, struct calyx_err *err)
{
	const cJSON *lv = json_member(o, "levels");
	char sub[96];
	int r;

	if (!lv)
		return 0;
	snprintf(sub, sizeof(sub), "%s.levels", where);
	if ((r = json_check_object(lv, assess_severities[a], sub, err)) < 0)
		return r;
	for (int i = 0; assess_severities[a][i]; i++)
		if ((r = get_level(lv, assess_severities[a][i], sub, &p->ext[a].level[i], err)) < 0)
			return r;
	return 0;
}

static int parse_external(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "bandit", "shellcheck", NULL };
	static const char *const tkeys[] = { "levels", "path", NULL };
	const cJSON *ext = json_member(o, "external");
	int r;

	if (ext && (r = json_check_object(ext, keys, "policy.assess.external", err)) < 0)
		return r;
	for (int a = AX_EXTERNAL_FIRST; a < AX__MAX; a++) {
		const cJSON *t = ext ? json_member(ext, assessor_names[a]) : NULL;
		const char *path = default_paths[a];
		char where[64];

		snprintf(where, sizeof(where), "policy.assess.external.%s", assessor_names[a]);
		if (t && ((r = json_check_object(t, tkeys, where, err)) < 0 ||
			  (r = json_get_string(t, "path", false, where, &path, err)) < 0 ||
			  (r = parse_ext_levels(t, (enum assessor)a, p, where, err)) < 0))
			return r;
		if (!path_is_normal_abs(path))
			return err_set(err, EINVAL, where, "path \"%s\" is not a normal absolute path",
				       path);
		if (!(p->ext[a].path = strdup(path)))
			return err_set(err, ENOMEM, where, "out of memory");
	}
	return 0;
}

static int parse_limits(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "cpu", "memory", "pids", NULL };
	const cJSON *l = json_member(o, "limits");
	const char *mem = NULL, *maxf = NULL;
	int r;

	if (l && ((r = json_check_object(l, keys, "policy.assess.limits", err)) < 0 ||
		  (r = json_get_string(l, "memory", false, "policy.assess.limits", &mem, err)) < 0 ||
		  (r = json_get_int(l, "pids", false, 1, 4096, "policy.assess.limits", &p->pids,
				    err)) < 0 ||
		  (r = json_get_int(l, "cpu", false, 1, 3600, "policy.assess.limits", &p->cpu,
				    err)) < 0))
		return r;
	if (mem && (parse_size(mem, &p->memory) < 0 || p->memory < (16ULL << 20)))
		return err_set(err, EINVAL, "policy.assess.limits.memory", "\"%s\" is not a size of "
			       "at least 16M", mem);
	r = json_get_string(o, "max_file", false, "policy.assess", &maxf, err);
	if (r < 0)
		return r;
	if (maxf && (parse_size(maxf, &p->max_file) < 0 || p->max_file > (64ULL << 20)))
		return err_set(err, EINVAL, "policy.assess.max_file", "\"%s\" is not a size up to "
			       "64M", maxf);
	return 0;
}

/* "levels": {"jwt": "HIGH", ...}: a built-in rule's level, by its kind. */
static int parse_rule_levels(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	const cJSON *lv = json_member(o, "levels"), *c;

	if (!lv)
		return 0;
	if (!cJSON_IsObject(lv))
		return err_set(err, EINVAL, "policy.assess.levels", "must be an object");
	for (c = lv->child; c; c = c->next) {
		const struct assess_rule *rule = assess_rule(c->string);
		enum assess_level l;

		if (!rule)
			return err_set(err, EINVAL, "policy.assess.levels", "\"%s\" is not a built-in "
				       "rule (calyx assess --rules lists them)", c->string);
		if (!cJSON_IsString(c) || assess_level_parse(c->valuestring, &l) < 0)
			return err_set(err, EINVAL, "policy.assess.levels", "%s: not LOW, MEDIUM, "
				       "HIGH or BLOCKED", c->string);
		p->rule_level[rule - assess_rules] = (int8_t)l;
	}
	return 0;
}

static int parse_timeout(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	const cJSON *t = json_member(o, "timeout");
	int64_t s;

	if (!t)
		return 0;
	if (!cJSON_IsString(t) || parse_duration(t->valuestring, &s) < 0 || s < 1 || s > 300)
		return err_set(err, EINVAL, "policy.assess.timeout", "must be a duration from 1s "
			       "to 300s (\"5s\")");
	p->timeout_ms = s * 1000;
	return 0;
}

int assess_policy_parse(const cJSON *o, struct assess_policy *p, struct calyx_err *err)
{
	static const char *const keys[] = {
		"assessors", "default_max", "external", "levels", "limits", "max_file", "on_error",
		"override_max", "protected_branches", "timeout", "user", NULL,
	};
	const char *user = "nobody";
	int r;

	assess_policy_defaults(p);
	if (!o)
		return 0;
	p->enabled = true;
	if ((r = json_check_object(o, keys, "policy.assess", err)) < 0 ||
	    (r = parse_assessors(o, p, err)) < 0 ||
	    (r = get_level(o, "default_max", "policy.assess", &p->default_max, err)) < 0 ||
	    (r = get_level(o, "on_error", "policy.assess", &p->on_error, err)) < 0 ||
	    (r = get_level(o, "override_max", "policy.assess", &p->override_max, err)) < 0 ||
	    (r = parse_timeout(o, p, err)) < 0 ||
	    (r = json_get_strv(o, "protected_branches", false, 64, "policy.assess",
			       &p->protected_branches, err)) < 0 ||
	    (r = json_get_string(o, "user", false, "policy.assess", &user, err)) < 0 ||
	    (r = parse_limits(o, p, err)) < 0 || (r = parse_external(o, p, err)) < 0 ||
	    (r = parse_rule_levels(o, p, err)) < 0)
		return r;
	if (!user_name_valid(user) || strcmp(user, "root") == 0)
		return err_set(err, EINVAL, "policy.assess.user", "\"%s\" is not an unprivileged "
			       "user name", user);
	p->user = strdup(user);
	return p->user ? 0 : err_set(err, ENOMEM, "policy.assess", "out of memory");
}

void assess_policy_free(struct assess_policy *p)
{
	strv_free(p->protected_branches);
	for (int a = 0; a < AX__MAX; a++)
		free(p->ext[a].path);
	free(p->user);
	memset(p, 0, sizeof(*p));
}
