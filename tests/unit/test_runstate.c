/* SPDX-License-Identifier: ISC */
/*
 * test_runstate: the revocation list (round trip, idempotence, fail closed),
 * use counters (exact under concurrent processes), and the kill switch.
 * Everything lives in a private temporary directory owned by this test.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ck.h"
#include "runstate.h"

#define ID1 "LEASE-20300101-000000-0001"
#define ID2 "LEASE-20300101-000000-0002"

#define TEMPLATE "/tmp/calyx-runstate-XXXXXX"
static char dir[sizeof(TEMPLATE)];
static char revoked[4096], uses[4096], ks[4096];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void setup(void)
{
	strcpy(dir, TEMPLATE); /* fresh per test, forked or not */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0700), 0);
	snprintf(revoked, sizeof(revoked), "%s/revoked.json", dir);
	snprintf(uses, sizeof(uses), "%s/uses", dir);
	snprintf(ks, sizeof(ks), "%s/killswitch", dir);
	ck_assert_int_eq(mkdir(uses, 0700), 0);
}

static void teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	close(fd);
}

/* ---- revocations ------------------------------------------------------- */

START_TEST(revocation_round_trip)
{
	struct calyx_err err = { 0 };
	struct revocations rv;
	const struct revocation *e;
	struct stat st;

	ck_assert_int_eq(rs_revocations_init(revoked, &err), 0);
	ck_assert_int_eq(stat(revoked, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), 0);
	ck_assert_uint_eq(rv.n, 0);
	ck_assert(!rs_is_revoked(&rv, ID1));
	rs_revocations_free(&rv);

	ck_assert_int_eq(rs_revoke(revoked, ID1, "key leaked\n\"quoted\" \xc3\xa9", "root", 1893456000LL,
				   &err), 0);
	ck_assert_int_eq(rs_revoke(revoked, ID2, "done", "alice", 1893456001LL, &err), 0);
	ck_assert_int_eq(rs_revoke(revoked, ID1, "again", "bob", 1893456002LL, &err), 1);
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), 0);
	ck_assert_uint_eq(rv.n, 2);
	ck_assert(rs_is_revoked(&rv, ID1));
	ck_assert(rs_is_revoked(&rv, ID2));
	ck_assert(!rs_is_revoked(&rv, "LEASE-20300101-000000-0003"));
	e = rs_revocation(&rv, ID1);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "key leaked\n\"quoted\" \xc3\xa9"); /* first reason kept */
	ck_assert_str_eq(e->by, "root");
	ck_assert_int_eq(e->at, 1893456000LL);
	ck_assert_str_eq(rs_revocation(&rv, ID2)->by, "alice");
	rs_revocations_free(&rv);
	ck_assert_uint_eq(rv.n, 0);
}
END_TEST

START_TEST(revocation_init_keeps_the_list)
{
	struct calyx_err err = { 0 };
	struct revocations rv;

	ck_assert_int_eq(rs_revocations_init(revoked, &err), 0);
	ck_assert_int_eq(rs_revoke(revoked, ID1, "r", "root", 1, &err), 0);
	ck_assert_int_eq(rs_revocations_init(revoked, &err), 0);
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), 0);
	ck_assert_uint_eq(rv.n, 1);
	rs_revocations_free(&rv);
}
END_TEST

/* An unreadable or malformed list refuses; it never reads as "nothing revoked". */
START_TEST(revocation_fails_closed)
{
	struct calyx_err err = { 0 };
	struct revocations rv;

	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.hint, "calyx init"));
	ck_assert_int_eq(rs_revoke(revoked, ID1, "r", "root", 1, &err), -ENOENT);
	put(revoked, "{\"revoked\":[],\"v\":1");
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -EINVAL);
	put(revoked, "{\"revoked\":[{\"at\":\"2030-01-01T00:00:00Z\",\"by\":\"x\",\"id\":\"../x\","
		     "\"reason\":\"\"}],\"v\":1}");
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.where, "revoked.json: revoked[0]"));
	ck_assert_str_eq(err.msg, "malformed revocation entry");
	put(revoked, "{\"revoked\":[{\"at\":\"2030-01-01T00:00:00Z\",\"by\":\"x\",\"id\":\"" ID1 "\"}],"
		     "\"v\":1}");
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.where, "revoked.json: revoked[0].reason"));
	put(revoked, "{\"revoked\":{},\"v\":1}");
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -EINVAL);
	put(revoked, "{\"revoked\":[],\"v\":1}");
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), 0);
	rs_revocations_free(&rv);
	ck_assert_int_eq(chmod(revoked, 0666), 0);
	ck_assert_int_eq(rs_revocations_load(revoked, getuid(), &rv, &err), -EPERM);
	ck_assert_int_eq(chmod(revoked, 0644), 0);
	ck_assert_int_eq(rs_revocations_load(revoked, getuid() + 1, &rv, &err), -EPERM);
}
END_TEST

/* ---- use counters -------------------------------------------------------- */

START_TEST(uses_count)
{
	struct calyx_err err = { 0 };
	int64_t n = -1;

	ck_assert_int_eq(rs_uses_get(uses, ID1, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(rs_use_take(uses, ID1, 3, &n, &err), 0);
		ck_assert_int_eq(n, i);
	}
	ck_assert_int_eq(rs_use_take(uses, ID1, 3, &n, &err), -EDQUOT);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(rs_uses_get(uses, ID1, &n, &err), 0);
	ck_assert_int_eq(n, 3);
	/* unlimited */
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(rs_use_take(uses, ID2, 0, &n, &err), 0);
	ck_assert_int_eq(n, 5);
	/* ids become file names only when they are lease ids */
	ck_assert_int_eq(rs_use_take(uses, "../../etc/passwd", 0, &n, &err), -EINVAL);
	ck_assert_int_eq(rs_uses_get(uses, "LEASE-x", &n, &err), -EINVAL);
}
END_TEST

START_TEST(uses_corrupt_counter_refuses)
{
	char p[4096];
	struct calyx_err err = { 0 };
	int64_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", uses, ID1);
	put(p, "two\n");
	ck_assert_int_eq(rs_uses_get(uses, ID1, &n, &err), -EINVAL);
	ck_assert_int_eq(rs_use_take(uses, ID1, 5, &n, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "use counter is corrupt");
	put(p, "-4\n");
	ck_assert_int_lt(rs_use_take(uses, ID1, 5, &n, &err), 0);
	put(p, "4\n");
	ck_assert_int_eq(rs_use_take(uses, ID1, 5, &n, &err), 0);
	ck_assert_int_eq(n, 5);
	unlink(p);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(rs_use_take(uses, ID1, 5, &n, &err), -ELOOP);
}
END_TEST

/* N processes race for max uses: exactly max win, and the count says max. */
static int race(int procs, int takes_each, int64_t max)
{
	pid_t pids[64];
	int wins = 0;

	ck_assert_int_le(procs, (int)ARRAY_SIZE(pids));
	for (int i = 0; i < procs; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			int won = 0;
			int64_t n;

			for (int t = 0; t < takes_each; t++)
				won += rs_use_take(uses, ID1, max, &n, NULL) == 0;
			_exit(won);
		}
	}
	for (int i = 0; i < procs; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		wins += WEXITSTATUS(status);
	}
	return wins;
}

START_TEST(uses_exact_under_concurrency)
{
	struct calyx_err err = { 0 };
	int64_t n = 0;

	ck_assert_int_eq(race(24, 3, 10), 10);
	ck_assert_int_eq(rs_uses_get(uses, ID1, &n, &err), 0);
	ck_assert_int_eq(n, 10);
}
END_TEST

START_TEST(uses_unlimited_under_concurrency)
{
	struct calyx_err err = { 0 };
	int64_t n = 0;

	ck_assert_int_eq(race(16, 8, 0), 16 * 8); /* no lost update */
	ck_assert_int_eq(rs_uses_get(uses, ID1, &n, &err), 0);
	ck_assert_int_eq(n, 16 * 8);
}
END_TEST

/* ---- kill switch --------------------------------------------------------- */

START_TEST(killswitch)
{
	struct calyx_err err = { 0 };
	char reason[64];
	bool on = true;

	ck_assert_int_eq(rs_killswitch_get(ks, &on, reason, sizeof(reason), &err), 0);
	ck_assert(!on);
	ck_assert_str_eq(reason, "");
	ck_assert_int_eq(rs_killswitch_set(ks, true, "incident 42", &err), 0);
	ck_assert_int_eq(rs_killswitch_get(ks, &on, reason, sizeof(reason), &err), 0);
	ck_assert(on);
	ck_assert_str_eq(reason, "incident 42");
	ck_assert_int_eq(rs_killswitch_set(ks, false, NULL, &err), 0);
	ck_assert_int_eq(rs_killswitch_get(ks, &on, NULL, 0, &err), 0);
	ck_assert(!on);
	ck_assert_int_eq(rs_killswitch_set(ks, false, NULL, &err), 0); /* off twice is fine */
}
END_TEST

/* Whatever sits at the path means on; only a visible, empty directory means off. */
START_TEST(killswitch_fails_closed)
{
	char gone[4096], reason[8];
	struct calyx_err err = { 0 };
	bool on = false;

	put(ks, "");
	ck_assert_int_eq(rs_killswitch_get(ks, &on, reason, sizeof(reason), &err), 0);
	ck_assert(on);
	put(ks, "a long reason that does not fit\nsecond line");
	ck_assert_int_eq(rs_killswitch_get(ks, &on, reason, sizeof(reason), &err), 0);
	ck_assert(on);
	ck_assert_str_eq(reason, "a long ");
	unlink(ks);
	ck_assert_int_eq(mkdir(ks, 0700), 0);
	ck_assert_int_eq(rs_killswitch_get(ks, &on, reason, sizeof(reason), &err), 0);
	ck_assert(on);
	rmdir(ks);
	ck_assert_int_eq(symlink("/nonexistent", ks), 0);
	on = false;
	ck_assert_int_eq(rs_killswitch_get(ks, &on, NULL, 0, &err), 0);
	ck_assert(on);
	unlink(ks);
	snprintf(gone, sizeof(gone), "%s/missing/killswitch", dir);
	ck_assert_int_lt(rs_killswitch_get(gone, &on, NULL, 0, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot check the kill switch"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runstate");
	TCase *tc = tcase_create("runstate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, revocation_round_trip);
	tcase_add_test(tc, revocation_init_keeps_the_list);
	tcase_add_test(tc, revocation_fails_closed);
	tcase_add_test(tc, uses_count);
	tcase_add_test(tc, uses_corrupt_counter_refuses);
	tcase_add_test(tc, uses_exact_under_concurrency);
	tcase_add_test(tc, uses_unlimited_under_concurrency);
	tcase_add_test(tc, killswitch);
	tcase_add_test(tc, killswitch_fails_closed);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
