/* SPDX-License-Identifier: ISC */
/*
 * test_execset: the exec policy of issue 17 as a decision table (lease
 * "exec" x policy default x require_listed x run_as root), the strict
 * parsing of both objects, and policy_check_lease() naming the clause.
 */
#include "config.h"

#include <string.h>

#include "ck.h"
#include "execset.h"
#include "policy.h"

static const struct {
	enum exec_mode lease, def;
	enum exec_require req;
	bool root;
	int want;           /* 0 or -EPERM */
	enum exec_mode got; /* when allowed */
} table[] = {
	{ EXEC_UNSET, EXEC_ANY, EXEC_REQ_NEVER, false, 0, EXEC_ANY },
	{ EXEC_UNSET, EXEC_LISTED, EXEC_REQ_NEVER, false, 0, EXEC_LISTED },
	{ EXEC_ANY, EXEC_LISTED, EXEC_REQ_NEVER, false, 0, EXEC_ANY },
	{ EXEC_LISTED, EXEC_ANY, EXEC_REQ_NEVER, false, 0, EXEC_LISTED },
	/* required: an explicit "any" is refused, an absent one becomes listed */
	{ EXEC_ANY, EXEC_ANY, EXEC_REQ_ALWAYS, false, -EPERM, EXEC_ANY },
	{ EXEC_UNSET, EXEC_ANY, EXEC_REQ_ALWAYS, false, 0, EXEC_LISTED },
	{ EXEC_LISTED, EXEC_ANY, EXEC_REQ_ALWAYS, true, 0, EXEC_LISTED },
	/* required for run_as root only */
	{ EXEC_ANY, EXEC_ANY, EXEC_REQ_RUN_AS_ROOT, false, 0, EXEC_ANY },
	{ EXEC_ANY, EXEC_ANY, EXEC_REQ_RUN_AS_ROOT, true, -EPERM, EXEC_ANY },
	{ EXEC_UNSET, EXEC_ANY, EXEC_REQ_RUN_AS_ROOT, true, 0, EXEC_LISTED },
	{ EXEC_UNSET, EXEC_ANY, EXEC_REQ_RUN_AS_ROOT, false, 0, EXEC_ANY },
};

START_TEST(decide_table)
{
	struct exec_policy p = { table[_i].def, table[_i].req };
	const char *clause = NULL;
	enum exec_mode got;
	int r = exec_decide(&p, table[_i].lease, table[_i].root, &got, &clause);

	ck_assert_int_eq(r, table[_i].want);
	if (r == 0)
		ck_assert_int_eq(got, table[_i].got);
	else
		ck_assert_str_eq(clause, "policy.exec.require_listed");
}
END_TEST

static const struct {
	const char *json;
	int want;
	enum exec_mode def;
	enum exec_require req;
} policies[] = {
	{ "{}", 0, EXEC_ANY, EXEC_REQ_NEVER },
	{ "{\"exec\":{}}", 0, EXEC_ANY, EXEC_REQ_NEVER },
	{ "{\"exec\":{\"default\":\"listed\"}}", 0, EXEC_LISTED, EXEC_REQ_NEVER },
	{ "{\"exec\":{\"require_listed\":\"run_as_root\"}}", 0, EXEC_ANY, EXEC_REQ_RUN_AS_ROOT },
	{ "{\"exec\":{\"default\":\"listed\",\"require_listed\":\"always\"}}", 0, EXEC_LISTED,
	  EXEC_REQ_ALWAYS },
	{ "{\"exec\":{\"default\":\"\"}}", -EINVAL, 0, 0 },
	{ "{\"exec\":{\"default\":\"Listed\"}}", -EINVAL, 0, 0 },
	{ "{\"exec\":{\"require_listed\":true}}", -EINVAL, 0, 0 },
	{ "{\"exec\":{\"require_listed\":\"sometimes\"}}", -EINVAL, 0, 0 },
	{ "{\"exec\":{\"default\":\"any\",\"extra\":1}}", -EINVAL, 0, 0 },
	{ "{\"exec\":\"listed\"}", -EINVAL, 0, 0 },
};

START_TEST(policy_parse_exec)
{
	struct calyx_err err = { 0 };
	struct exec_policy p;
	cJSON *root = cJSON_Parse(policies[_i].json);
	int r;

	ck_assert_ptr_nonnull(root);
	r = exec_policy_parse(root, &p, &err);
	ck_assert_msg(r == policies[_i].want, "%s: %d (%s)", policies[_i].json, r, err.msg);
	if (r == 0) {
		ck_assert_int_eq(p.def, policies[_i].def);
		ck_assert_int_eq(p.require, policies[_i].req);
	}
	cJSON_Delete(root);
}
END_TEST

static const struct {
	const char *json;
	int want;
	enum exec_mode mode;
} leases[] = {
	{ "{}", 0, EXEC_UNSET },
	{ "{\"exec\":\"any\"}", 0, EXEC_ANY },
	{ "{\"exec\":\"listed\"}", 0, EXEC_LISTED },
	{ "{\"exec\":\"\"}", -EINVAL, 0 },
	{ "{\"exec\":\"LISTED\"}", -EINVAL, 0 },
	{ "{\"exec\":1}", -EINVAL, 0 },
	{ "{\"exec\":[\"listed\"]}", -EINVAL, 0 },
};

START_TEST(lease_parse_exec)
{
	struct calyx_err err = { 0 };
	cJSON *body = cJSON_Parse(leases[_i].json);
	enum exec_mode m;
	int r;

	ck_assert_ptr_nonnull(body);
	r = exec_lease_parse(body, &m, &err);
	ck_assert_msg(r == leases[_i].want, "%s: %d (%s)", leases[_i].json, r, err.msg);
	if (r == 0)
		ck_assert_int_eq(m, leases[_i].mode);
	cJSON_Delete(body);
}
END_TEST

/* The whole policy check names the clause and keeps the mode in the decision. */
START_TEST(check_lease_names_clause)
{
	size_t len;
	char *text = ck_read_data("policy.json", &len);
	struct calyx_err err = { 0 };
	struct policy p;
	struct lease l = { 0 };
	struct decision d;
	char *hosts[] = { "*", NULL }, *empty[] = { NULL };
	struct lease_cmd cmd = { .path = "/bin/true" };

	l.rw = l.ro = l.exec = l.env_set = l.cwd = l.env_allow = empty;
	ck_assert_int_eq(policy_parse(text, len, &p, &err), 0);
	free(text);
	l.id = "LEASE-20260101-000000-abcd";
	l.hosts = hosts;
	l.cmds = &cmd;
	l.n_cmds = 1;
	l.subject = "alice";
	l.expires_at = 60;
	p.allow_wildcard_hosts = true;
	l.exec_mode = EXEC_ANY;
	policy_check_lease(&p, &l, false, &d);
	ck_assert_msg(d.allow, "%s", d.reason);
	ck_assert_int_eq(d.exec, EXEC_ANY);
	p.exec.require = EXEC_REQ_ALWAYS;
	policy_check_lease(&p, &l, false, &d);
	ck_assert(!d.allow);
	ck_assert_str_eq(d.clause, "policy.exec.require_listed");
	l.exec_mode = EXEC_UNSET;
	policy_check_lease(&p, &l, false, &d);
	ck_assert_msg(d.allow, "%s", d.reason);
	ck_assert_int_eq(d.exec, EXEC_LISTED);
	policy_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("execset");
	TCase *tc = tcase_create("execset");

	tcase_add_loop_test(tc, decide_table, 0, ARRAY_SIZE(table));
	tcase_add_loop_test(tc, policy_parse_exec, 0, ARRAY_SIZE(policies));
	tcase_add_loop_test(tc, lease_parse_exec, 0, ARRAY_SIZE(leases));
	tcase_add_test(tc, check_lease_names_clause);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
