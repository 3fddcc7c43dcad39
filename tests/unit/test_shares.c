/* SPDX-License-Identifier: ISC */
/*
 * test_shares: profiles that give limits as shares of the host ("memory":
 * "25%"): where the policy accepts them, where leases may not use them, and
 * policy_resolve_shares() clamping what the host has by the profile's max.
 */
#include "config.h"

#include <string.h>

#include "ck.h"
#include "policy.h"

/* tests/data/policy.json with its "trusted" profile replaced. */
static int parse_with_profile(const char *profile, struct policy *p, struct calyx_err *err)
{
	size_t len;
	char *base = ck_read_data("policy.json", &len), *text;
	cJSON *root = cJSON_Parse(base), *prof = cJSON_Parse(profile);
	int r;

	ck_assert_ptr_nonnull(root);
	ck_assert_ptr_nonnull(prof);
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "profiles"), "trusted", prof));
	text = cJSON_PrintUnformatted(root);
	r = policy_parse(text, strlen(text), p, err);
	cJSON_Delete(root);
	free(text);
	free(base);
	return r;
}

static const struct {
	const char *profile;
	int want;
} profiles[] = {
	{ "{\"defaults\":{\"wall\":60,\"memory\":\"25%\",\"cpu\":\"50%\"},"
	  "\"max\":{\"wall\":600,\"memory\":\"4G\",\"cpu\":\"2\"}}", 0 },
	/* a share needs an absolute maximum to clamp it */
	{ "{\"defaults\":{\"wall\":60,\"memory\":\"25%\"},\"max\":{\"wall\":600}}", -EINVAL },
	/* a maximum is never a share */
	{ "{\"defaults\":{\"wall\":60},\"max\":{\"wall\":600,\"memory\":\"50%\"}}", -EINVAL },
	{ "{\"defaults\":{\"wall\":60,\"memory\":\"0%\"},\"max\":{\"wall\":600,\"memory\":\"1G\"}}",
	  -EINVAL },
	{ "{\"defaults\":{\"wall\":60,\"memory\":\"101%\"},\"max\":{\"wall\":600,\"memory\":\"1G\"}}",
	  -EINVAL },
	{ "{\"defaults\":{\"wall\":60,\"memory\":\"2.5%\"},\"max\":{\"wall\":600,\"memory\":\"1G\"}}",
	  -EINVAL },
	/* only memory and cpu are shares of something the host has */
	{ "{\"defaults\":{\"wall\":60,\"pids\":\"10%\"},\"max\":{\"wall\":600,\"pids\":100}}",
	  -EINVAL },
};

START_TEST(profile_shares_parse)
{
	struct calyx_err err = { 0 };
	struct policy p;
	int r = parse_with_profile(profiles[_i].profile, &p, &err);

	ck_assert_msg(r == profiles[_i].want, "%s: %d (%s: %s)", profiles[_i].profile, r,
		      err.where, err.msg);
	if (r == 0) {
		const struct profile *pr = policy_profile(&p, "trusted");

		ck_assert_uint_eq(pr->defaults.share, 1u << LIM_MEMORY | 1u << LIM_CPU);
		ck_assert_uint_eq(pr->defaults.pct[LIM_MEMORY], 25);
		ck_assert_uint_eq(pr->defaults.pct[LIM_CPU], 50);
		policy_free(&p);
	}
}
END_TEST

static const struct {
	uint8_t pct;
	uint64_t host, max, want;
	int lim;
} clamps[] = {
	/* 25% of 8 GiB free is 2 GiB, under a max of 4G */
	{ 25, 8ULL << 30, 4ULL << 30, 2ULL << 30, LIM_MEMORY },
	/* 25% of 64 GiB would be 16 GiB: the max wins */
	{ 25, 64ULL << 30, 4ULL << 30, 4ULL << 30, LIM_MEMORY },
	/* nothing known about the host: the max, never more */
	{ 25, 0, 4ULL << 30, 4ULL << 30, LIM_MEMORY },
	/* almost nothing free: a floor of 16M, still within max */
	{ 1, 100ULL << 20, 1ULL << 30, 16ULL << 20, LIM_MEMORY },
	{ 1, 100ULL << 20, 8ULL << 20, 8ULL << 20, LIM_MEMORY },
	/* whole pages */
	{ 33, 1000000, 1ULL << 30, 16ULL << 20, LIM_MEMORY },
	{ 33, 3ULL << 30, 4ULL << 30, (3ULL << 30) / 100 * 33 & ~4095ULL, LIM_MEMORY },
	/* 50% of 4 CPUs is 2 cores, within a max of 3 */
	{ 50, 4000, 3000, 2000, LIM_CPU },
	{ 100, 4000, 3000, 3000, LIM_CPU },
	/* 10% of one CPU is 100 thousandths */
	{ 10, 1000, 2000, 100, LIM_CPU },
};

START_TEST(shares_clamp)
{
	struct limits eff = { 0 }, max = { 0 };
	struct host_free h = { 0 };
	int i = clamps[_i].lim;

	eff.set = eff.share = 1u << i;
	eff.pct[i] = clamps[_i].pct;
	max.set = 1u << i;
	max.v[i] = clamps[_i].max;
	if (i == LIM_MEMORY)
		h.mem_bytes = clamps[_i].host;
	else
		h.cpu_milli = clamps[_i].host;
	policy_resolve_shares(&eff, &max, &h);
	ck_assert_msg(eff.v[i] == clamps[_i].want, "%u%% of %llu (max %llu): %llu, want %llu",
		      clamps[_i].pct, (unsigned long long)clamps[_i].host,
		      (unsigned long long)clamps[_i].max, (unsigned long long)eff.v[i],
		      (unsigned long long)clamps[_i].want);
	ck_assert_uint_le(eff.v[i], clamps[_i].max);
}
END_TEST

/* A lease's own limit replaces the share; it is checked against max as before. */
START_TEST(lease_limit_replaces_share)
{
	struct calyx_err err = { 0 };
	struct policy p;
	struct lease l = { 0 };
	struct decision d;
	char *hosts[] = { "*", NULL }, *empty[] = { NULL };
	struct lease_cmd cmd = { .path = "/bin/true" };

	ck_assert_int_eq(parse_with_profile(profiles[0].profile, &p, &err), 0);
	l.id = "LEASE-20260101-000000-abcd";
	l.hosts = hosts;
	l.cmds = &cmd;
	l.n_cmds = 1;
	l.rw = l.ro = l.exec = l.env_set = l.cwd = l.env_allow = empty;
	l.not_before = 0;
	l.expires_at = 60;
	l.profile = "trusted";
	l.limits.set = 1u << LIM_MEMORY;
	l.limits.v[LIM_MEMORY] = 1ULL << 30;
	p.allow_wildcard_hosts = true;
	policy_check_lease(&p, &l, false, &d);
	ck_assert_msg(d.allow, "%s", d.reason);
	ck_assert(!(d.eff.share & (1u << LIM_MEMORY)));
	ck_assert(d.eff.share & (1u << LIM_CPU));
	ck_assert_uint_eq(d.eff.v[LIM_MEMORY], 1ULL << 30);
	l.limits.v[LIM_MEMORY] = 8ULL << 30;
	policy_check_lease(&p, &l, false, &d);
	ck_assert(!d.allow);
	ck_assert_str_eq(d.clause, "policy.profiles");
	policy_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shares");
	TCase *tc = tcase_create("shares");

	tcase_add_loop_test(tc, profile_shares_parse, 0, ARRAY_SIZE(profiles));
	tcase_add_loop_test(tc, shares_clamp, 0, ARRAY_SIZE(clamps));
	tcase_add_test(tc, lease_limit_replaces_share);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
