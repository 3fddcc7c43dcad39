/* SPDX-License-Identifier: ISC */
/*
 * execset: see execset.h.  Trusts its callers to pass the verified lease
 * body and the root-owned policy; owns nothing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "execset.h"
#include "json.h"

static const char *const mode_names[] = { [EXEC_UNSET] = "", [EXEC_ANY] = "any",
					  [EXEC_LISTED] = "listed" };
static const char *const req_names[] = { [EXEC_REQ_NEVER] = "never",
					 [EXEC_REQ_RUN_AS_ROOT] = "run_as_root",
					 [EXEC_REQ_ALWAYS] = "always" };

const char *exec_mode_name(enum exec_mode m)
{
	return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

static int pick(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int exec_lease_parse(const cJSON *body, enum exec_mode *ret, struct calyx_err *err)
{
	const char *s = NULL;
	int r = json_get_string(body, "exec", false, "lease", &s, err), m;

	*ret = EXEC_UNSET;
	if (r <= 0)
		return r;
	if ((m = pick(s, mode_names, ARRAY_SIZE(mode_names))) < 0)
		return err_set(err, EINVAL, "lease.exec", "\"%s\" is not any or listed", s);
	*ret = (enum exec_mode)m;
	return 0;
}

int exec_policy_parse(const cJSON *root, struct exec_policy *ret, struct calyx_err *err)
{
	static const char *const keys[] = { "default", "require_listed", NULL };
	const cJSON *o = json_member(root, "exec");
	const char *def = NULL, *req = NULL;
	int r, m = EXEC_ANY, q = EXEC_REQ_NEVER;

	ret->def = EXEC_ANY;
	ret->require = EXEC_REQ_NEVER;
	if (!o)
		return 0;
	if ((r = json_check_object(o, keys, "policy.exec", err)) < 0 ||
	    (r = json_get_string(o, "default", false, "policy.exec", &def, err)) < 0 ||
	    (r = json_get_string(o, "require_listed", false, "policy.exec", &req, err)) < 0)
		return r;
	if (def && (m = pick(def, mode_names, ARRAY_SIZE(mode_names))) < 0)
		return err_set(err, EINVAL, "policy.exec.default", "\"%s\" is not any or listed",
			       def);
	if (req && (q = pick(req, req_names, ARRAY_SIZE(req_names))) < 0)
		return err_set(err, EINVAL, "policy.exec.require_listed", "\"%s\" is not never, "
			       "run_as_root or always", req);
	ret->def = (enum exec_mode)m;
	ret->require = (enum exec_require)q;
	return 0;
}

int exec_decide(const struct exec_policy *p, enum exec_mode lease, bool run_as_root,
		enum exec_mode *ret, const char **ret_clause)
{
	bool required = p->require == EXEC_REQ_ALWAYS ||
			(p->require == EXEC_REQ_RUN_AS_ROOT && run_as_root);

	/* a lease that says nothing gets what the policy requires; one that asks
	 * "any" where "listed" is required is refused, never silently narrowed */
	if (required && lease == EXEC_ANY) {
		*ret = EXEC_ANY;
		*ret_clause = "policy.exec.require_listed";
		return -EPERM;
	}
	*ret = required ? EXEC_LISTED : lease != EXEC_UNSET ? lease : p->def;
	return 0;
}
