/* SPDX-License-Identifier: ISC */
/*
 * test_runmap: leasexec's side of the sentinel without a daemon: what it
 * refuses before it talks to one (and with which code: -ENOENT must only
 * ever mean "no sentinel"), and the meta.json form of a summary.
 */
#include "config.h"

#include <string.h>

#include "canon.h"
#include "ck.h"
#include "runmap.h"

/* one more than the wire holds (SN_PROTO_MAX_RULES) */
#define SN_TEST_RULES 65

static char *json_of(const struct runmap_summary *s)
{
	struct buf b = { 0 };
	cJSON *o = runmap_summary_json(s);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(canon_write(o, &b), 0);
	cJSON_Delete(o);
	return b.data;
}

START_TEST(unattributed_summary)
{
	struct runmap_summary s = { 0 };
	char *j = json_of(&s);

	ck_assert_str_eq(j, "{\"attributed\":false}");
	free(j);
}
END_TEST

START_TEST(attributed_summary)
{
	struct runmap_summary s = {
		.attributed = true, .syscalls = 1234, .execs = 3, .execs_refused = 2, .forks = 2,
		.exits = 3, .bytes_written = 4096, .connects_denied = 1, .lost_events = 0,
		.killed = "net_denied", .n_top = 2,
		.top = { { .nr = 0, .count = 600 }, { .nr = 59, .count = 3 } },
	};
	char *j = json_of(&s);

	ck_assert_str_eq(j, "{\"attributed\":true,\"bytes_read\":0,\"bytes_written\":4096,"
			    "\"connects_allowed\":0,\"connects_denied\":1,\"disk_read\":0,"
			    "\"disk_written\":0,\"execs\":3,\"execs_refused\":2,\"exits\":3,\"forks\":2,"
			    "\"killed\":\"net_denied\",\"lost_events\":0,\"sends_allowed\":0,"
			    "\"sends_denied\":0,\"syscalls\":1234,\"threads\":0,"
			    "\"top_syscalls\":[{\"count\":600,\"nr\":0},{\"count\":3,\"nr\":59}]}");
	free(j);
}
END_TEST

START_TEST(huge_counters_clamped)
{
	struct runmap_summary s = { .attributed = true, .syscalls = UINT64_MAX };
	char *j = json_of(&s);

	ck_assert_ptr_nonnull(strstr(j, "\"syscalls\":9007199254740991"));
	free(j);
}
END_TEST

static struct runmap_reg reg_for(const char *cgroup)
{
	return (struct runmap_reg){ .cgroup_id = 1, .cgroup_path = cgroup, .run_id = "RUN-T",
				    .lease_id = "LEASE-20260101-000000-0000", .net = NET_NONE };
}

START_TEST(missing_cgroup_is_not_no_sentinel)
{
	struct runmap_reg g = reg_for("/nonexistent/calyx-test-cgroup");
	struct calyx_err err = { 0 };

	ck_assert_int_eq(runmap_register(&g, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/calyx-test-cgroup"));
}
END_TEST

START_TEST(too_many_rules)
{
	static struct net_rule rules[SN_TEST_RULES];
	struct runmap_reg g = reg_for("/");
	struct calyx_err err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		ck_assert_int_eq(net_rule_parse("127.0.0.1:80", &rules[i]), 0);
	g.net = NET_ALLOW;
	g.allow = rules;
	g.n_allow = ARRAY_SIZE(rules);
	ck_assert_int_eq(runmap_register(&g, &err), -E2BIG);
}
END_TEST

START_TEST(no_run_id)
{
	struct runmap_reg g = reg_for("/");
	struct calyx_err err = { 0 };

	g.run_id = NULL;
	ck_assert_int_eq(runmap_register(&g, &err), -EINVAL);
}
END_TEST

START_TEST(long_fields_refused)
{
	char id[200];
	struct runmap_reg g = reg_for("/");
	struct calyx_err err = { 0 };

	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	g.run_id = id;
	ck_assert_int_eq(runmap_register(&g, &err), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runmap");
	TCase *tc = tcase_create("runmap");

	tcase_add_test(tc, unattributed_summary);
	tcase_add_test(tc, attributed_summary);
	tcase_add_test(tc, huge_counters_clamped);
	tcase_add_test(tc, missing_cgroup_is_not_no_sentinel);
	tcase_add_test(tc, too_many_rules);
	tcase_add_test(tc, no_run_id);
	tcase_add_test(tc, long_fields_refused);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
