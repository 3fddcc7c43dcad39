/* SPDX-License-Identifier: ISC */
/*
 * policy: see policy.h.  Parsing is strict (unknown keys refused, every field
 * typed); deciding is pure.  Clause names in refusals are the JSON paths a
 * reader can find: "lease.commands", "policy.run_as", "lease.expires_at".
 */
#include "config.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "json.h"
#include "policy.h"

/* NULL-terminated too: it is the allowed-key list of policy.layers */
static const char *const layer_names[LAYER__MAX + 1] = {
	[LAYER_CGROUP] = "cgroup",
	[LAYER_NETNS] = "netns",
	[LAYER_MOUNTNS] = "mountns",
	[LAYER_IPCNS] = "ipcns",
	[LAYER_UTSNS] = "utsns",
	[LAYER_PIDNS] = "pidns",
	[LAYER_LANDLOCK] = "landlock",
	[LAYER_LANDLOCK_NET] = "landlock_net",
	[LAYER_LANDLOCK_SCOPE] = "landlock_scope",
	[LAYER_SECCOMP] = "seccomp",
};

static const char *const req_names[] = {
	[REQ_REQUIRED] = "required",
	[REQ_BEST_EFFORT] = "best_effort",
	[REQ_OFF] = "off",
};

/* Never passed to a run, whatever a lease says: loader and libc hooks. */
static const char *const env_never_builtin[] = {
	"LD_*", "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
	"MALLOC_*", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR", "BASH_ENV",
	"ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "GLIBC_TUNABLES", NULL,
};

const char *layer_name(enum layer_id id)
{
	return (unsigned)id < LAYER__MAX ? layer_names[id] : "?";
}

const char *layer_req_name(enum layer_req r)
{
	return (unsigned)r < ARRAY_SIZE(req_names) ? req_names[r] : "?";
}

/* ---- parsing -------------------------------------------------------- */

static int pick(const char *s, const char *const *names, size_t n, int *ret)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] && strcmp(s, names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int get_enum(const cJSON *o, const char *key, const char *where, const char *const *names,
		    size_t n, int *ret, struct calyx_err *err)
{
	const char *s = NULL;
	int r = json_get_string(o, key, false, where, &s, err);

	if (r <= 0)
		return r;
	if (pick(s, names, n, ret) < 0)
		return err_set(err, EINVAL, where, "%s: \"%s\" is not a known value", key, s);
	return 0;
}

static int get_paths(const cJSON *o, const char *key, const char *where, char ***ret,
		     struct calyx_err *err)
{
	int r = json_get_strv(o, key, false, 256, where, ret, err);

	if (r < 0)
		return r;
	for (size_t i = 0; (*ret)[i]; i++)
		if (!path_is_normal_abs((*ret)[i]))
			return err_set(err, EINVAL, where, "%s: \"%s\" is not a normal absolute path",
				       key, (*ret)[i]);
	return 0;
}

static int parse_invokers(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "groups", "users", NULL };
	const cJSON *o = json_member(root, "invokers");
	int r;

	if (!o)
		return err_set(err, EINVAL, "policy.invokers", "required: who may invoke leasexec");
	if ((r = json_check_object(o, keys, "policy.invokers", err)) < 0 ||
	    (r = json_get_strv(o, "users", false, 1024, "policy.invokers", &p->invoke_users,
			       err)) < 0 ||
	    (r = json_get_strv(o, "groups", false, 1024, "policy.invokers", &p->invoke_groups,
			       err)) < 0)
		return r;
	return 0;
}

static int parse_run_as(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "groups", "root", "users", NULL };
	_cleanup_strv_ char **caps = NULL;
	const cJSON *o = json_member(root, "run_as");
	int r;

	if (o) {
		if ((r = json_check_object(o, keys, "policy.run_as", err)) < 0 ||
		    (r = json_get_bool(o, "root", false, "policy.run_as", &p->run_as_root, err)) < 0 ||
		    (r = json_get_strv(o, "users", false, 1024, "policy.run_as", &p->run_as_users,
				       err)) < 0 ||
		    (r = json_get_strv(o, "groups", false, 1024, "policy.run_as", &p->run_as_groups,
				       err)) < 0)
			return r;
	} else if (!(p->run_as_users = calloc(1, sizeof(char *))) ||
		   !(p->run_as_groups = calloc(1, sizeof(char *)))) {
		return err_set(err, ENOMEM, "policy", "out of memory");
	}
	r = json_get_strv(root, "caps", false, 64, "policy", &caps, err);
	if (r < 0)
		return r;
	for (size_t i = 0; caps[i]; i++) {
		int c = cap_from_name(caps[i]);

		if (c < 0)
			return err_set(err, EINVAL, "policy.caps", "unknown capability \"%s\"", caps[i]);
		p->caps_allowed |= 1ULL << c;
	}
	return 0;
}

static int parse_profile(const cJSON *o, struct profile *pr, struct calyx_err *err)
{
	static const char *const keys[] = { "defaults", "max", NULL };
	char where[96];
	int r;

	snprintf(where, sizeof(where), "policy.profiles.%s", o->string);
	if (!user_name_valid(o->string))
		return err_set(err, EINVAL, where, "is not a profile name");
	if (!(pr->name = strdup(o->string)))
		return err_set(err, ENOMEM, where, "out of memory");
	if ((r = json_check_object(o, keys, where, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "policy.profiles.%s.defaults", o->string);
	if ((r = limits_parse_json(json_member(o, "defaults"), where, &pr->defaults, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "policy.profiles.%s.max", o->string);
	if ((r = limits_parse_json(json_member(o, "max"), where, &pr->max, err)) < 0)
		return r;
	if (!(pr->max.set & (1u << LIM_WALL)) || !(pr->defaults.set & (1u << LIM_WALL)))
		return err_set(err, EINVAL, where, "every profile needs defaults.wall and max.wall");
	if (pr->max.share)
		return err_set(err, EINVAL, where, "a maximum is absolute: a share of the host "
			       "(\"25%%\") goes in defaults");
	for (int i = 0; i < LIM__MAX; i++) {
		uint32_t bit = 1u << i;

		/* a share of the host is always clamped by an absolute maximum */
		if ((pr->defaults.share & bit) && !(pr->max.set & bit))
			return err_set(err, EINVAL, where, "defaults.%s is a share of the host: max.%s "
				       "must bound it", limit_name(i), limit_name(i));
		if (pr->defaults.share & bit)
			continue;

		if ((pr->defaults.set & bit) && (pr->max.set & bit) && pr->defaults.v[i] > pr->max.v[i])
			return err_set(err, EINVAL, where, "defaults.%s is above max.%s", limit_name(i),
				       limit_name(i));
	}
	return 0;
}

static int parse_profiles(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	const cJSON *o = json_member(root, "profiles"), *c;
	const char *def = NULL;
	int r;

	if (!cJSON_IsObject(o) || !o->child)
		return err_set(err, EINVAL, "policy.profiles", "required: at least one profile");
	p->profiles = calloc((size_t)cJSON_GetArraySize(o), sizeof(*p->profiles));
	if (!p->profiles)
		return err_set(err, ENOMEM, "policy.profiles", "out of memory");
	for (c = o->child; c; c = c->next) {
		r = parse_profile(c, &p->profiles[p->n_profiles++], err);
		if (r < 0)
			return r;
	}
	r = json_get_string(root, "default_profile", true, "policy", &def, err);
	if (r < 0)
		return r;
	if (!policy_profile(p, def))
		return err_set(err, EINVAL, "policy.default_profile", "\"%s\" is not a profile", def);
	p->default_profile = strdup(def);
	return p->default_profile ? 0 : err_set(err, ENOMEM, "policy", "out of memory");
}

static int parse_base_paths(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "exec", "ro", "rw", NULL };
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *o = json_member(root, "base_paths");
	int r;

	if (!o)
		o = &empty;
	if ((r = json_check_object(o, keys, "policy.base_paths", err)) < 0 ||
	    (r = get_paths(o, "ro", "policy.base_paths", &p->base_ro, err)) < 0 ||
	    (r = get_paths(o, "rw", "policy.base_paths", &p->base_rw, err)) < 0 ||
	    (r = get_paths(o, "exec", "policy.base_paths", &p->base_exec, err)) < 0 ||
	    (r = get_paths(root, "never_writable", "policy", &p->never_writable, err)) < 0 ||
	    (r = get_paths(root, "never_commands", "policy", &p->never_commands, err)) < 0 ||
	    (r = get_paths(root, "never_grant", "policy", &p->never_grant, err)) < 0 ||
	    (r = json_get_strv(root, "env_never", false, 256, "policy", &p->env_never, err)) < 0)
		return r;
	for (size_t i = 0; p->env_never[i]; i++)
		if (!env_name_valid(p->env_never[i], true))
			return err_set(err, EINVAL, "policy.env_never", "\"%s\" is not a variable name "
				       "or NAME* prefix", p->env_never[i]);
	return 0;
}

static int parse_network(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	_cleanup_strv_ char **modes = NULL;
	int r = json_get_strv(root, "network_modes", false, NET__MAX, "policy", &modes, err);

	if (r < 0)
		return r;
	if (r == 0) {
		p->net_modes = 1u << NET_NONE;
		return 0;
	}
	for (size_t i = 0; modes[i]; i++) {
		enum net_mode m;

		if (net_mode_parse(modes[i], &m) < 0)
			return err_set(err, EINVAL, "policy.network_modes", "\"%s\" is not none, "
				       "loopback, allow or host", modes[i]);
		p->net_modes |= 1u << m;
	}
	return 0;
}

static int parse_seccomp(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "action", "allow", "deny", NULL };
	static const char *const actions[] = { "errno", "kill", "log" };
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *o = json_member(root, "seccomp");
	int a = SC_ACTION_ERRNO, r;

	if (!o)
		o = &empty;
	if ((r = json_check_object(o, keys, "policy.seccomp", err)) < 0 ||
	    (r = get_enum(o, "action", "policy.seccomp", actions, ARRAY_SIZE(actions), &a, err)) < 0 ||
	    (r = json_get_strv(o, "deny", false, 512, "policy.seccomp", &p->sc_deny, err)) < 0 ||
	    (r = json_get_strv(o, "allow", false, 512, "policy.seccomp", &p->sc_allow, err)) < 0)
		return r;
	p->sc_action = (enum seccomp_action)a;
	for (char **v = p->sc_deny; *v; v++)
		if (!env_name_valid(*v, false))
			return err_set(err, EINVAL, "policy.seccomp.deny", "\"%s\" is not a syscall name",
				       *v);
	return 0;
}

static int parse_fatal(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const names[] = { "oom", "pids", "disk_write", "net_denied" };
	_cleanup_strv_ char **v = NULL;
	int r;

	p->sentinel_fatal = SV_OOM | SV_PIDS | SV_DISK_WRITE | SV_NET_DENIED;
	p->sentinel_deny_threshold = 16;
	r = json_get_strv(root, "sentinel_fatal", false, 8, "policy", &v, err);
	if (r < 0)
		return r;
	if (r > 0)
		p->sentinel_fatal = 0;
	for (size_t i = 0; v[i]; i++) {
		int k;

		if (pick(v[i], names, ARRAY_SIZE(names), &k) < 0)
			return err_set(err, EINVAL, "policy.sentinel_fatal", "\"%s\" is not oom, pids, "
				       "disk_write or net_denied", v[i]);
		p->sentinel_fatal |= 1u << k;
	}
	r = json_get_int(root, "sentinel_deny_threshold", false, 0, 1000000, "policy",
			 &p->sentinel_deny_threshold, err);
	return r < 0 ? r : 0;
}

/* "group_source": "caller" (default) | "nss" | "files": where run_as's groups come from */
static int parse_group_source(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const names[] = { "nss", "files", "caller" };
	int v = GROUPS_CALLER, r;

	r = get_enum(root, "group_source", "policy", names, ARRAY_SIZE(names), &v, err);
	p->group_source = (enum group_source)v;
	return r < 0 ? r : 0;
}

static int parse_layers(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const sentinel[] = { "required", "preferred", "off" };
	const cJSON *o = json_member(root, "layers");
	int s = SENTINEL_PREFERRED, r;

	for (int i = 0; i < LAYER__MAX; i++)
		p->layers[i] = REQ_REQUIRED;
	p->layers[LAYER_LANDLOCK_NET] = REQ_BEST_EFFORT;
	p->layers[LAYER_LANDLOCK_SCOPE] = REQ_BEST_EFFORT;
	if (o) {
		r = json_check_object(o, layer_names, "policy.layers", err);
		if (r < 0)
			return r;
		for (int i = 0; i < LAYER__MAX; i++) {
			int v = (int)p->layers[i];

			r = get_enum(o, layer_names[i], "policy.layers", req_names,
				     ARRAY_SIZE(req_names), &v, err);
			if (r < 0)
				return r;
			p->layers[i] = (enum layer_req)v;
		}
	}
	if ((r = get_enum(root, "sentinel", "policy", sentinel, ARRAY_SIZE(sentinel), &s, err)) < 0)
		return r;
	p->sentinel = (enum sentinel_req)s;
	if ((r = parse_fatal(root, p, err)) < 0)
		return r;
	p->private_tmp = true;
	r = json_get_bool(root, "private_tmp", false, "policy", &p->private_tmp, err);
	return r < 0 ? r : parse_group_source(root, p, err);
}

static int parse_rule(const cJSON *o, size_t i, struct approval_rule *a, struct calyx_err *err)
{
	static const char *const keys[] = { "distinct_roles", "name", "roles", "signatures",
					    "when", NULL };
	static const char *const wkeys[] = { "caps", "network", "run_as_root", "rw_under", NULL };
	static const cJSON empty = { .type = cJSON_Object };
	char where[48], wwhere[64];
	const char *name = NULL, *rw = NULL, *net = NULL;
	const cJSON *w;
	int r;

	snprintf(where, sizeof(where), "policy.approvals[%zu]", i);
	snprintf(wwhere, sizeof(wwhere), "%s.when", where);
	a->if_network = -1;
	if ((r = json_check_object(o, keys, where, err)) < 0 ||
	    (r = json_get_string(o, "name", true, where, &name, err)) < 0 ||
	    (r = json_get_int(o, "signatures", true, 1, SIG_MAX_SIGNATURES, where, &a->signatures,
			      err)) < 0 ||
	    (r = json_get_bool(o, "distinct_roles", false, where, &a->distinct_roles, err)) < 0 ||
	    (r = json_get_strv(o, "roles", false, 8, where, &a->roles, err)) < 0)
		return r;
	if (!(a->name = strdup(name)))
		return err_set(err, ENOMEM, where, "out of memory");
	w = json_member(o, "when");
	if (!w)
		w = &empty;
	if ((r = json_check_object(w, wkeys, wwhere, err)) < 0 ||
	    (r = json_get_bool(w, "run_as_root", false, wwhere, &a->if_run_as_root, err)) < 0 ||
	    (r = json_get_bool(w, "caps", false, wwhere, &a->if_caps, err)) < 0 ||
	    (r = json_get_string(w, "rw_under", false, wwhere, &rw, err)) < 0 ||
	    (r = json_get_string(w, "network", false, wwhere, &net, err)) < 0)
		return r;
	if (rw && (!path_is_normal_abs(rw) || !(a->if_rw_under = strdup(rw))))
		return err_set(err, EINVAL, wwhere, "rw_under must be a normal absolute path");
	if (net) {
		enum net_mode m;

		if (net_mode_parse(net, &m) < 0)
			return err_set(err, EINVAL, wwhere, "network \"%s\" is not a mode", net);
		a->if_network = (int)m;
	}
	return 0;
}

static int parse_approvals(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	const cJSON *o = json_member(root, "approvals"), *c;
	size_t i = 0;

	if (!o)
		return 0;
	if (!cJSON_IsArray(o) || cJSON_GetArraySize(o) > 64)
		return err_set(err, EINVAL, "policy.approvals", "must be an array of at most 64 rules");
	p->approvals = calloc((size_t)cJSON_GetArraySize(o) + 1, sizeof(*p->approvals));
	if (!p->approvals)
		return err_set(err, ENOMEM, "policy.approvals", "out of memory");
	for (c = o->child; c; c = c->next, i++) {
		int r;

		p->n_approvals = i + 1;
		r = parse_rule(c, i, &p->approvals[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int get_duration(const cJSON *o, const char *key, const char *where, int64_t *ret,
			struct calyx_err *err)
{
	const char *s = NULL;
	int r;

	if (cJSON_IsNumber(json_member(o, key)))
		return json_get_int(o, key, false, 1, INT32_MAX, where, ret, err);
	r = json_get_string(o, key, false, where, &s, err);
	if (r > 0 && parse_duration(s, ret) < 0)
		return err_set(err, EINVAL, where, "%s: \"%s\" is not a duration (90s, 5m, 1h, 30d)",
			       key, s);
	return r;
}

static int parse_housekeeping(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const rkeys[] = { "max_age", "max_runs", NULL };
	static const char *const akeys[] = { "rotate_size", "seal_every", "syslog", NULL };
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *ret = json_member(root, "retention"), *aud = json_member(root, "audit");
	const char *rot = NULL;
	uint64_t sz;
	int r;

	p->retention_runs = 1000;
	p->retention_age = 30 * 86400;
	p->audit_syslog = true;
	p->audit_seal_every = 64;
	p->audit_rotate_size = 64LL << 20;
	if (!ret)
		ret = &empty;
	if (!aud)
		aud = &empty;
	if ((r = json_check_object(ret, rkeys, "policy.retention", err)) < 0 ||
	    (r = json_get_int(ret, "max_runs", false, 1, INT32_MAX, "policy.retention",
			      &p->retention_runs, err)) < 0 ||
	    (r = get_duration(ret, "max_age", "policy.retention", &p->retention_age, err)) < 0 ||
	    (r = json_check_object(aud, akeys, "policy.audit", err)) < 0 ||
	    (r = json_get_bool(aud, "syslog", false, "policy.audit", &p->audit_syslog, err)) < 0 ||
	    (r = json_get_int(aud, "seal_every", false, 1, 1000000, "policy.audit",
			      &p->audit_seal_every, err)) < 0 ||
	    (r = json_get_string(aud, "rotate_size", false, "policy.audit", &rot, err)) < 0)
		return r;
	if (rot) {
		if (parse_size(rot, &sz) < 0 || sz < 4096 || sz > INT64_MAX)
			return err_set(err, EINVAL, "policy.audit.rotate_size", "\"%s\" is not a size "
				       "of at least 4K", rot);
		p->audit_rotate_size = (int64_t)sz;
	}
	return 0;
}

static const char *const auth_names[] = {
	[AUTH_NEVER] = "none",
	[AUTH_ALWAYS] = "pam",
	[AUTH_RUN_AS_ROOT] = "run_as_root",
	[AUTH_RUN_AS_OTHER] = "run_as_other",
};

const char *auth_when_name(enum auth_when a)
{
	return (unsigned)a < ARRAY_SIZE(auth_names) ? auth_names[a] : "?";
}

/* auth_assess: an assessment level name (stored + 1), or absent (0) */
static int parse_auth_assess(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	const char *s = NULL;
	enum assess_level l;
	int r = json_get_string(root, "auth_assess", false, "policy", &s, err);

	if (r <= 0)
		return r;
	if (assess_level_parse(s, &l) < 0)
		return err_set(err, EINVAL, "policy", "auth_assess: \"%s\" is not LOW, MEDIUM, HIGH or "
			       "BLOCKED", s);
	p->auth_assess = (int)l + 1;
	return 0;
}

/* auth, auth_timeout (seconds, 0 = every time), pam_session, record_input,
 * auth_assess */
static int parse_interactive(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	int a = AUTH_NEVER, r;

	p->auth_timeout = 300;
	if ((r = parse_auth_assess(root, p, err)) < 0)
		return r;
	if ((r = get_enum(root, "auth", "policy", auth_names, ARRAY_SIZE(auth_names), &a, err)) < 0 ||
	    (r = json_get_int(root, "auth_timeout", false, 0, 86400, "policy", &p->auth_timeout,
			      err)) < 0 ||
	    (r = json_get_bool(root, "pam_session", false, "policy", &p->pam_session, err)) < 0 ||
	    (r = json_get_bool(root, "record_input", false, "policy", &p->record_input, err)) < 0)
		return r;
	p->auth = (enum auth_when)a;
	return 0;
}

static int strv_append(char ***v, const char *s);
static bool strv_contains(char *const *v, const char *s);

/* Staged writes: where staging is required, and who may commit (issue 12). */
static int parse_stage(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = { "by", "roles", "signatures", NULL };
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *c = json_member(root, "commit");
	int r;

	if (!c)
		c = &empty;
	if ((r = get_paths(root, "stage_required", "policy", &p->stage_required, err)) < 0 ||
	    (r = json_check_object(c, keys, "policy.commit", err)) < 0 ||
	    (r = json_get_strv(c, "by", false, 64, "policy.commit", &p->commit_by, err)) < 0 ||
	    (r = json_get_strv(c, "roles", false, 8, "policy.commit", &p->commit_roles, err)) < 0 ||
	    (r = json_get_int(c, "signatures", false, 0, 8, "policy.commit",
			      &p->commit_signatures, err)) < 0)
		return r;
	for (size_t i = 0; p->commit_by[i]; i++)
		if (!user_name_valid(p->commit_by[i]))
			return err_set(err, EINVAL, "policy.commit.by", "\"%s\" is not root, subject "
				       "or a user name", p->commit_by[i]);
	/* default: only root commits what a run staged */
	if (!p->commit_by[0] && strv_append(&p->commit_by, "root") < 0)
		return err_set(err, ENOMEM, "policy.commit", "out of memory");
	return 0;
}

bool policy_commit_allowed(const struct policy *p, const char *user, const char *subject)
{
	if (strv_contains(p->commit_by, user))
		return true;
	return strv_contains(p->commit_by, "subject") && subject && strcmp(user, subject) == 0;
}

static int parse_top(const cJSON *root, struct policy *p, struct calyx_err *err)
{
	static const char *const keys[] = {
		"allow_wildcard_hosts", "approvals", "assess", "audit", "auth", "auth_assess", "auth_timeout",
		"base_paths", "caps", "clock_skew", "commit", "default_profile", "env_never", "exec",
		"group_source", "hosts", "invokers", "layers", "max_lifetime", "network_modes",
		"never_commands", "never_grant", "never_writable", "pam_session", "private_tmp",
		"profiles", "record_input", "retention", "run_as", "seccomp", "sentinel",
		"sentinel_deny_threshold", "sentinel_fatal", "stage_required", "timeline_interval_ms",
		"v", NULL,
	};
	int64_t v;
	int r;

	p->clock_skew = 30;
	p->timeline_interval_ms = 100;
	if ((r = json_check_object(root, keys, "policy", err)) < 0 ||
	    (r = json_get_int(root, "timeline_interval_ms", false, 0, 60000, "policy",
			      &p->timeline_interval_ms, err)) < 0 ||
	    (r = json_get_int(root, "v", true, 1, 1, "policy", &v, err)) < 0 ||
	    (r = json_get_int(root, "max_lifetime", true, 1, 30 * 86400, "policy",
			      &p->max_lifetime, err)) < 0 ||
	    (r = json_get_int(root, "clock_skew", false, 0, 3600, "policy", &p->clock_skew,
			      err)) < 0 ||
	    (r = json_get_strv(root, "hosts", true, 1024, "policy", &p->hosts, err)) < 0 ||
	    (r = json_get_bool(root, "allow_wildcard_hosts", false, "policy",
			       &p->allow_wildcard_hosts, err)) < 0)
		return r;
	if (p->timeline_interval_ms > 0 && p->timeline_interval_ms < 10)
		return err_set(err, EINVAL, "policy.timeline_interval_ms", "%lld ms is below the "
			       "10 ms minimum (0 turns the timeline off)",
			       (long long)p->timeline_interval_ms);
	return 0;
}

int policy_parse(const char *text, size_t len, struct policy *p, struct calyx_err *err)
{
	struct json_doc doc = { 0 };
	int r;

	memset(p, 0, sizeof(*p));
	r = json_parse_strict(text, len, JSON_MAX_SIZE, "policy", &doc, err);
	if (r < 0)
		return r;
	if ((r = parse_top(doc.root, p, err)) < 0 || (r = parse_invokers(doc.root, p, err)) < 0 ||
	    (r = parse_run_as(doc.root, p, err)) < 0 || (r = parse_profiles(doc.root, p, err)) < 0 ||
	    (r = parse_base_paths(doc.root, p, err)) < 0 ||
	    (r = parse_network(doc.root, p, err)) < 0 || (r = parse_seccomp(doc.root, p, err)) < 0 ||
	    (r = parse_layers(doc.root, p, err)) < 0 || (r = parse_approvals(doc.root, p, err)) < 0 ||
	    (r = parse_housekeeping(doc.root, p, err)) < 0 ||
	    (r = parse_interactive(doc.root, p, err)) < 0 ||
	    (r = parse_stage(doc.root, p, err)) < 0 ||
	    (r = assess_policy_parse(json_member(doc.root, "assess"), &p->assess, err)) < 0 ||
	    (r = exec_policy_parse(doc.root, &p->exec, err)) < 0)
		policy_free(p);
	json_doc_free(&doc);
	return r < 0 ? r : 0;
}

int policy_load(const char *path, uid_t owner, struct policy *p, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	int r = read_trusted_file(path, owner, JSON_MAX_SIZE, &b, err);

	if (r < 0) {
		memset(p, 0, sizeof(*p));
		return r;
	}
	return policy_parse(b.data, b.len, p, err);
}

void policy_free(struct policy *p)
{
	strv_free(p->invoke_users);
	strv_free(p->invoke_groups);
	strv_free(p->hosts);
	strv_free(p->run_as_users);
	strv_free(p->run_as_groups);
	free(p->default_profile);
	for (size_t i = 0; i < p->n_profiles; i++)
		free(p->profiles[i].name);
	free(p->profiles);
	strv_free(p->base_ro);
	strv_free(p->base_rw);
	strv_free(p->base_exec);
	strv_free(p->never_writable);
	strv_free(p->never_grant);
	strv_free(p->never_commands);
	strv_free(p->env_never);
	strv_free(p->sc_deny);
	strv_free(p->sc_allow);
	for (size_t i = 0; i < p->n_approvals; i++) {
		free(p->approvals[i].name);
		free(p->approvals[i].if_rw_under);
		strv_free(p->approvals[i].roles);
	}
	free(p->approvals);
	assess_policy_free(&p->assess);
	strv_free(p->stage_required);
	strv_free(p->commit_by);
	strv_free(p->commit_roles);
	memset(p, 0, sizeof(*p));
}

const struct profile *policy_profile(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_profiles; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

static int strv_append(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -ENOMEM;
}

int policy_protect(struct policy *p, const char *const *writable, const char *const *commands)
{
	for (; writable && *writable; writable++)
		if (strv_append(&p->never_writable, *writable) < 0)
			return -ENOMEM;
	for (; commands && *commands; commands++)
		if (strv_append(&p->never_commands, *commands) < 0)
			return -ENOMEM;
	return 0;
}

/* ---- deciding (pure) -------------------------------------------------- */

static bool strv_contains(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

_printf_(3, 4) static int deny(struct decision *d, const char *clause, const char *fmt, ...)
{
	va_list ap;

	d->allow = false;
	snprintf(d->clause, sizeof(d->clause), "%s", clause);
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	str_one_line(d->reason); /* it quotes the caller's argv and cwd */
	return 0;
}

_printf_(2, 3) static void hint(struct decision *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->hint, sizeof(d->hint), fmt, ap);
	va_end(ap);
	str_one_line(d->hint);
}

static bool env_pattern_match(const char *pat, const char *name)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return strncmp(pat, name, n - 1) == 0;
	return strcmp(pat, name) == 0;
}

bool policy_env_never(const struct policy *p, const char *name)
{
	for (size_t i = 0; env_never_builtin[i]; i++)
		if (env_pattern_match(env_never_builtin[i], name))
			return true;
	for (size_t i = 0; p->env_never && p->env_never[i]; i++)
		if (env_pattern_match(p->env_never[i], name))
			return true;
	return false;
}

static bool run_as_is_root(const struct lease *l)
{
	return l->run_as_user && strcmp(l->run_as_user, "root") == 0;
}

bool policy_needs_auth(const struct policy *p, const struct lease *l)
{
	bool other = l->run_as_user && strcmp(l->run_as_user, l->subject) != 0;

	switch (p->auth) {
	case AUTH_ALWAYS: return true;
	case AUTH_RUN_AS_ROOT: if (run_as_is_root(l)) return true; break;
	case AUTH_RUN_AS_OTHER: if (other) return true; break;
	default: break;
	}
	return l->auth == AUTH_PAM;
}

bool policy_needs_auth_after_assess(const struct policy *p, bool assessed, enum assess_level level)
{
	return assessed && p->auth_assess > 0 && (int)level + 1 >= p->auth_assess;
}

static int check_lifetime_hosts(const struct policy *p, const struct lease *l, struct decision *d)
{
	int64_t life = l->expires_at - l->not_before;

	if (life > p->max_lifetime)
		return deny(d, "policy.max_lifetime", "%s lasts %" PRId64 "s; the policy allows at "
			    "most %" PRId64 "s", l->id, life, p->max_lifetime);
	if (strcmp(l->hosts[0], "*") == 0 && !p->allow_wildcard_hosts)
		return deny(d, "policy.allow_wildcard_hosts", "%s is valid on any host (\"*\"); the "
			    "policy does not allow that", l->id);
	if (strv_contains(p->hosts, "*"))
		return 1;
	for (size_t i = 0; l->hosts[i]; i++)
		if (strcmp(l->hosts[i], "*") != 0 && !strv_contains(p->hosts, l->hosts[i]))
			return deny(d, "policy.hosts", "%s names host %s, which the policy does not "
				    "list", l->id, l->hosts[i]);
	return 1;
}

static int check_identity(const struct policy *p, const struct lease *l, struct decision *d)
{
	if (run_as_is_root(l) && !p->run_as_root)
		return deny(d, "policy.run_as", "%s runs as root; the policy does not allow run_as "
			    "root", l->id);
	if (l->run_as_user && !run_as_is_root(l) && strcmp(l->run_as_user, l->subject) != 0 &&
	    !strv_contains(p->run_as_users, l->run_as_user) && !strv_contains(p->run_as_users, "*"))
		return deny(d, "policy.run_as", "%s runs as %s; the policy does not allow that user",
			    l->id, l->run_as_user);
	/* an explicit group is a privilege of its own (":shadow", ":disk") */
	if (l->run_as_group && !strv_contains(p->run_as_groups, l->run_as_group) &&
	    !strv_contains(p->run_as_groups, "*"))
		return deny(d, "policy.run_as", "%s runs with group %s; the policy does not allow "
			    "that group (run_as.groups)", l->id, l->run_as_group);
	if (l->cap_mask & ~p->caps_allowed) {
		for (int c = 0; c < 64; c++)
			if ((l->cap_mask & ~p->caps_allowed) & (1ULL << c))
				return deny(d, "policy.caps", "%s keeps CAP_%s, which the policy does "
					    "not allow", l->id, cap_name(c));
	}
	return 1;
}

/* A lease path that is, holds or lies in what the policy never grants (the
 * buses, docker.sock): the run's root would show it. */
static int check_never_grant(const struct policy *p, const struct lease *l, struct decision *d)
{
	char *const *lists[] = { l->ro, l->rw, l->exec, l->stage };

	for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
		for (size_t i = 0; lists[k] && lists[k][i]; i++)
			for (size_t j = 0; p->never_grant && p->never_grant[j]; j++)
				if (path_glob_related(p->never_grant[j], lists[k][i]))
					return deny(d, "policy.never_grant", "%s grants %s, which is or "
						    "holds %s: the policy never grants it", l->id,
						    lists[k][i], p->never_grant[j]);
	return 1;
}

static int check_paths(const struct policy *p, const struct lease *l, struct decision *d)
{
	if (check_never_grant(p, l, d) <= 0)
		return 0;
	for (size_t i = 0; i < l->n_cmds; i++)
		for (size_t j = 0; p->never_commands[j]; j++)
			if (path_is_under(l->cmds[i].path, p->never_commands[j]))
				return deny(d, "policy.never_commands", "%s allows %s, which the "
					    "policy never leases", l->id, l->cmds[i].path);
	for (size_t i = 0; l->rw[i]; i++)
		for (size_t j = 0; p->never_writable[j]; j++)
			if (path_is_under(l->rw[i], p->never_writable[j]) ||
			    path_is_under(p->never_writable[j], l->rw[i]))
				return deny(d, "policy.never_writable", "%s makes %s writable; the "
					    "policy never allows writing %s", l->id, l->rw[i],
					    p->never_writable[j]);
	for (size_t i = 0; l->env_set[i]; i++) {
		char name[160];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(l->env_set[i], "="), l->env_set[i]);
		if (policy_env_never(p, name))
			return deny(d, "policy.env_never", "%s sets %s, which is never passed to a run",
				    l->id, name);
	}
	return 1;
}

static bool paths_overlap(const char *a, const char *b)
{
	return path_is_under(a, b) || path_is_under(b, a);
}

/*
 * Staged paths (issue 12): never where writing is never allowed, never
 * overlapping each other or an rw grant (an overlay over or under a bind
 * would let writes bypass the stage); an rw grant where the policy requires
 * staging is refused.
 */
static int check_stage(const struct policy *p, const struct lease *l, struct decision *d)
{
	for (size_t i = 0; l->stage && l->stage[i]; i++) {
		for (size_t j = 0; p->never_writable && p->never_writable[j]; j++)
			if (paths_overlap(l->stage[i], p->never_writable[j]))
				return deny(d, "policy.never_writable", "%s stages %s; the policy "
					    "never allows writing %s", l->id, l->stage[i],
					    p->never_writable[j]);
		for (size_t j = 0; l->rw && l->rw[j]; j++)
			if (paths_overlap(l->stage[i], l->rw[j]))
				return deny(d, "lease.paths.stage", "%s both stages %s and makes %s "
					    "writable", l->id, l->stage[i], l->rw[j]);
		for (size_t j = i + 1; l->stage[j]; j++)
			if (paths_overlap(l->stage[i], l->stage[j]))
				return deny(d, "lease.paths.stage", "%s stages %s and %s, one inside "
					    "the other", l->id, l->stage[i], l->stage[j]);
	}
	for (size_t i = 0; l->rw && l->rw[i]; i++)
		for (size_t j = 0; p->stage_required && p->stage_required[j]; j++)
			if (paths_overlap(l->rw[i], p->stage_required[j])) {
				deny(d, "policy.stage_required", "%s makes %s writable; the policy "
				     "requires staging for %s", l->id, l->rw[i],
				     p->stage_required[j]);
				hint(d, "name %s in paths.stage instead of paths.rw", l->rw[i]);
				return 0;
			}
	return 1;
}

static int check_limits(const struct policy *p, const struct lease *l, struct decision *d)
{
	const char *name = l->profile ? l->profile : p->default_profile;
	const struct profile *pr = policy_profile(p, name);

	if (!pr)
		return deny(d, "lease.profile", "%s asks for profile %s, which the policy does not "
			    "define", l->id, name);
	d->profile = pr;
	d->eff = pr->defaults;
	for (int i = 0; i < LIM__MAX; i++) {
		uint32_t bit = 1u << i;
		char have[32], max[32];

		if (l->limits.set & bit) {
			d->eff.v[i] = l->limits.v[i];
			d->eff.set |= bit;
			d->eff.share &= ~bit;
		}
		if (!(d->eff.set & bit) || !(pr->max.set & bit) || (d->eff.share & bit) ||
		    d->eff.v[i] <= pr->max.v[i])
			continue;
		limit_format(i, d->eff.v[i], have, sizeof(have));
		limit_format(i, pr->max.v[i], max, sizeof(max));
		return deny(d, "policy.profiles", "%s asks for %s %s; profile %s allows at most %s",
			    l->id, limit_name(i), have, pr->name, max);
	}
	if (!(p->net_modes & (1u << l->net)))
		return deny(d, "policy.network_modes", "%s asks for network mode %s, which the "
			    "policy does not allow", l->id, net_mode_name(l->net));
	return 1;
}

/* A lease may lower the assessment ceiling, never raise it or ask for one that does not exist. */
static int check_assess(const struct policy *p, const struct lease *l, struct decision *d)
{
	if ((l->assess_max_set || l->assess_override) && !p->assess.enabled)
		return deny(d, "policy.assess", "%s sets assess, but the policy has no assessment "
			    "(no \"assess\" section)", l->id);
	if (l->assess_max_set && l->assess_max > (int)p->assess.default_max)
		return deny(d, "policy.assess.default_max", "%s asks for assess.max %s; the policy "
			    "allows at most %s", l->id, assess_level_name(l->assess_max),
			    assess_level_name(p->assess.default_max));
	return 1;
}

static bool rule_applies(const struct approval_rule *a, const struct lease *l)
{
	if (a->if_run_as_root && !run_as_is_root(l))
		return false;
	if (a->if_caps && !l->cap_mask)
		return false;
	if (a->if_network >= 0 && (int)l->net != a->if_network)
		return false;
	if (a->if_rw_under) {
		bool any = false;

		for (size_t i = 0; l->rw[i] && !any; i++)
			any = path_is_under(l->rw[i], a->if_rw_under) ||
			      path_is_under(a->if_rw_under, l->rw[i]);
		if (!any)
			return false;
	}
	return true;
}

static bool signer_role_ok(const struct approval_rule *a, const char *role)
{
	return !a->roles || !a->roles[0] || strv_contains(a->roles, role);
}

/* Can we pick `need` signers from index i on, each with a role not yet used? */
static bool assign_roles(const struct approval_rule *a, const struct lease *l, size_t i,
			 const char **used, size_t n_used, int64_t need)
{
	if (need == 0)
		return true;
	if (i >= l->n_signers)
		return false;
	for (size_t r = 0; l->signers[i].roles[r]; r++) {
		const char *role = l->signers[i].roles[r];
		bool taken = false;

		if (!signer_role_ok(a, role))
			continue;
		for (size_t u = 0; u < n_used; u++)
			taken |= strcmp(used[u], role) == 0;
		if (taken)
			continue;
		used[n_used] = role;
		if (assign_roles(a, l, i + 1, used, n_used + 1, need - 1))
			return true;
	}
	return assign_roles(a, l, i + 1, used, n_used, need);
}

static bool rule_satisfied(const struct approval_rule *a, const struct lease *l)
{
	const char *used[SIG_MAX_SIGNATURES];
	int64_t n = 0;

	if (a->distinct_roles)
		return assign_roles(a, l, 0, used, 0, a->signatures);
	for (size_t i = 0; i < l->n_signers; i++) {
		/* without a role restriction every distinct key counts, roles or not */
		bool ok = !a->roles || !a->roles[0];

		for (size_t r = 0; l->signers[i].roles[r]; r++)
			ok |= signer_role_ok(a, l->signers[i].roles[r]);
		n += ok;
	}
	return n >= a->signatures;
}

static int check_approvals(const struct policy *p, const struct lease *l, struct decision *d)
{
	for (size_t i = 0; i < p->n_approvals; i++) {
		const struct approval_rule *a = &p->approvals[i];

		if (!rule_applies(a, l) || rule_satisfied(a, l))
			continue;
		deny(d, "policy.approvals", "%s needs %" PRId64 " signatures by distinct keys%s "
		     "(approval rule \"%s\"); it has %zu", l->id, a->signatures,
		     a->distinct_roles ? " with distinct roles" : "", a->name, l->n_signers);
		hint(d, "a second approver adds a signature: calyx lease sign %s --key FILE", l->id);
		return 0;
	}
	return 1;
}

/* exec: "any" where the policy requires "listed" (issue 17). */
static int check_exec(const struct policy *p, const struct lease *l, struct decision *d)
{
	const char *clause = NULL;

	if (exec_decide(&p->exec, l->exec_mode, run_as_is_root(l), &d->exec, &clause) < 0)
		return deny(d, clause, "%s asks exec \"any\"; the policy requires \"listed\"%s",
			    l->id, p->exec.require == EXEC_REQ_RUN_AS_ROOT ? " for run_as root" : "");
	return 1;
}

int policy_check_lease(const struct policy *p, const struct lease *l, bool approvals,
		       struct decision *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->cmd_index = -1;
	if ((r = check_lifetime_hosts(p, l, d)) <= 0 || (r = check_identity(p, l, d)) <= 0 ||
	    (r = check_paths(p, l, d)) <= 0 || (r = check_stage(p, l, d)) <= 0 ||
	    (r = check_limits(p, l, d)) <= 0 ||
	    (r = check_assess(p, l, d)) <= 0 || (r = check_exec(p, l, d)) <= 0)
		return 0;
	if (approvals && check_approvals(p, l, d) <= 0)
		return 0;
	d->allow = true;
	return 0;
}

static bool invoker_allowed(const struct policy *p, const struct request *req)
{
	if (strv_contains(p->invoke_users, req->user) || strv_contains(p->invoke_users, "*"))
		return true;
	if (strv_contains(p->invoke_groups, "*"))
		return true; /* "*" means anyone, in either list */
	for (char *const *g = req->groups; g && *g; g++)
		if (strv_contains(p->invoke_groups, *g))
			return true;
	return false;
}

static bool host_allowed(const struct lease *l, const char *host)
{
	return strcmp(l->hosts[0], "*") == 0 || strv_contains(l->hosts, host);
}

/* Lexical absolute form of a command typed with a slash; NULL if it escapes '/'. */
static bool make_abs(const char *cwd, const char *in, char *out, size_t n)
{
	char tmp[PATH_MAX], *save = NULL, *tok;
	size_t len = 0;

	if (snprintf(tmp, sizeof(tmp), "%s%s%s", in[0] == '/' ? "" : cwd, in[0] == '/' ? "" : "/",
		     in) >= (int)sizeof(tmp))
		return false;
	out[0] = '\0';
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			while (len > 0 && out[--len] != '/')
				;
			out[len] = '\0';
			continue;
		}
		if (len + strlen(tok) + 2 > n)
			return false;
		len += (size_t)sprintf(out + len, "/%s", tok);
	}
	if (len == 0)
		snprintf(out, n, "/");
	return true;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void list_commands(const struct lease *l, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l->n_cmds && len < n; i++) {
		if (i == 3) {
			snprintf(out + len, n - len, ", …");
			return;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", l->cmds[i].path);
	}
}

int policy_match_command(const struct lease *l, const struct request *req, struct decision *d)
{
	char want[PATH_MAX], allowed[256];
	bool by_name = !strchr(req->argv0, '/');
	int found = -1, named = -1;

	list_commands(l, allowed, sizeof(allowed));
	if (!by_name && !make_abs(req->cwd, req->argv0, want, sizeof(want)))
		return deny(d, "lease.commands", "%s allows %s, not %.200s", l->id, allowed,
			    req->argv0);
	for (size_t i = 0; i < l->n_cmds; i++) {
		const char *p = l->cmds[i].path;

		if (by_name ? strcmp(base_name(p), req->argv0) != 0 : strcmp(p, want) != 0)
			continue;
		/* ambiguous whatever the arguments: they must not pick the binary */
		if (by_name && named >= 0 && strcmp(l->cmds[named].path, p) != 0) {
			deny(d, "lease.commands", "%s allows both %s and %s: \"%s\" is ambiguous", l->id,
			     l->cmds[named].path, p, req->argv0);
			hint(d, "name the command by its full path");
			return 0;
		}
		if (named < 0)
			named = (int)i;
		if (found < 0 && lease_args_match(l->cmds[i].args, req->args))
			found = (int)i;
	}
	if (found < 0 && named >= 0)
		return deny(d, "lease.commands.args", "%s does not allow these arguments to %s",
			    l->id, by_name ? req->argv0 : want);
	if (found < 0)
		return deny(d, "lease.commands", "%s allows %s, not %.200s", l->id, allowed,
			    by_name ? req->argv0 : want);
	d->cmd_index = found;
	snprintf(d->cmd_path, sizeof(d->cmd_path), "%s", l->cmds[found].path);
	return 1;
}

static int check_cwd(const struct lease *l, const struct request *req, struct decision *d)
{
	if (l->cwd[0]) {
		for (size_t i = 0; l->cwd[i]; i++)
			if (path_is_under(req->cwd, l->cwd[i]))
				return 1;
	} else {
		if (req->home && path_is_under(req->cwd, req->home))
			return 1;
		if (l->rw[0] && path_is_under(req->cwd, l->rw[0]))
			return 1;
		if (l->stage && l->stage[0] && path_is_under(req->cwd, l->stage[0]))
			return 1;
	}
	deny(d, "lease.cwd", "%s does not allow working directory %.200s", l->id, req->cwd);
	hint(d, "allowed: %s", l->cwd[0] ? l->cwd[0] : l->rw[0] ? l->rw[0] : req->home ? req->home : "(none)");
	return 0;
}

static int check_window(const struct policy *p, const struct lease *l, const struct request *req,
			struct decision *d)
{
	char t[21];

	if (req->now < l->not_before - p->clock_skew) {
		rfc3339_format(l->not_before, t);
		return deny(d, "lease.not_before", "%s is not valid before %s", l->id, t);
	}
	if (req->now >= l->expires_at) {
		rfc3339_format(l->expires_at, t);
		return deny(d, "lease.expires_at", "%s expired at %s", l->id, t);
	}
	return 1;
}

/* Free memory and CPUs of the host (and the cgroup parent) -> values, clamped by max. */
void policy_resolve_shares(struct limits *eff, const struct limits *max,
			   const struct host_free *h)
{
	static const uint64_t floor[LIM__MAX] = { [LIM_MEMORY] = 16ULL << 20, [LIM_CPU] = 10 };

	for (int i = 0; i < LIM__MAX; i++) {
		uint32_t bit = 1u << i;
		uint64_t base = i == LIM_MEMORY ? h->mem_bytes : h->cpu_milli, v;

		if (!(eff->share & bit))
			continue;
		/* what the host has is unknown: the profile's maximum, never more */
		v = base ? base / 100 * eff->pct[i] + base % 100 * eff->pct[i] / 100 : max->v[i];
		if (i == LIM_MEMORY)
			v &= ~4095ULL; /* whole pages */
		if (v < floor[i])
			v = floor[i];
		if ((max->set & bit) && v > max->v[i])
			v = max->v[i];
		eff->v[i] = v;
	}
}

int policy_decide(const struct lease *l, const struct request *req, const struct policy *p,
		  struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->cmd_index = -1;
	if (req->killswitch)
		return deny(d, "killswitch", "the kill switch is on: no runs are allowed");
	if (!req->user || !req->host || !req->cwd || !req->argv0)
		return deny(d, "request", "incomplete request (caller, host, cwd or command unknown)");
	if (!invoker_allowed(p, req))
		return deny(d, "policy.invokers", "user %s may not invoke leasexec", req->user);
	if (req->revoked)
		return deny(d, "revoked", "%s has been revoked", l->id);
	if (check_window(p, l, req, d) <= 0)
		return 0;
	if (!host_allowed(l, req->host))
		return deny(d, "lease.hosts", "%s is not valid on host %s", l->id, req->host);
	if (strcmp(l->subject, req->user) != 0)
		return deny(d, "lease.subject", "%s is for %s, not %s", l->id, l->subject, req->user);
	policy_check_lease(p, l, true, d);
	if (!d->allow)
		return 0;
	d->allow = false;
	if (l->max_uses && req->uses >= l->max_uses)
		return deny(d, "lease.max_uses", "%s has been used %" PRId64 " of %" PRId64 " times",
			    l->id, req->uses, l->max_uses);
	if (policy_match_command(l, req, d) <= 0 || check_cwd(l, req, d) <= 0)
		return 0;
	d->auth_pam = policy_needs_auth(p, l);
	policy_resolve_shares(&d->eff, &d->profile->max, &req->host_free);
	d->allow = true;
	return 0;
}
