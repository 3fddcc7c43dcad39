/* SPDX-License-Identifier: ISC */
/*
 * test_accounts: the groups of a user from a group file (policy group_source
 * "files"): base first, member lists matched by whole name, each group once,
 * an entry longer than the first buffer, too many groups, a missing file;
 * and the NSS source agreeing with it for a user of this host's /etc/group.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "ck.h"

static char path[] = "/tmp/calyx-accounts-XXXXXX";

static void write_groups(const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void teardown(void)
{
	unlink(path);
	strcpy(path, "/tmp/calyx-accounts-XXXXXX");
}

static const char groups_text[] =
	"root:x:0:\n"
	"adm:x:4:alice,bob\n"
	"alice:x:1000:\n"
	"wheel:x:10:bob,alice\n"
	"alic:x:20:alic\n"
	"alice2:x:21:alice2,xalice\n"
	"also-adm:x:4:alice\n"
	"not a group line\n"
	"audio:x:29:carol,alice,dave\n";

START_TEST(members_from_the_file)
{
	gid_t g[16];
	int n = 16;

	write_groups(groups_text);
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, path, "alice", 1000, g, &n), 0);
	/* base first; 4 once though two entries name it; no "alic", "alice2" */
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(g[0], 1000);
	ck_assert_int_eq(g[1], 4);
	ck_assert_int_eq(g[2], 10);
	ck_assert_int_eq(g[3], 29);
	n = 16;
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, path, "carol", 5000, g, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(g[1], 29);
	n = 16;
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, path, "nobody-here", 7, g, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(g[0], 7);
}
END_TEST

START_TEST(a_long_member_list)
{
	size_t len = 200000;
	char *text = malloc(len + 64), *p = text;
	gid_t g[4];
	int n = 4;

	ck_assert_ptr_nonnull(text);
	p += sprintf(p, "big:x:77:");
	for (int i = 0; (size_t)(p - text) < len - 16; i++)
		p += sprintf(p, "u%d,", i);
	sprintf(p, "alice\nsmall:x:78:alice\n");
	write_groups(text);
	free(text);
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, path, "alice", 1000, g, &n), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(g[1], 77);
	ck_assert_int_eq(g[2], 78);
}
END_TEST

START_TEST(too_many_groups)
{
	gid_t g[2];
	int n = 2;

	write_groups(groups_text);
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, path, "alice", 1000, g, &n), -E2BIG);
	ck_assert_int_gt(n, 2);
}
END_TEST

START_TEST(missing_file)
{
	gid_t g[4];
	int n = 4;

	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, "/nonexistent/calyx/group", "alice", 1, g, &n),
			 -ENOENT);
	ck_assert_str_eq(group_source_name(GROUPS_FILES), "files");
	ck_assert_str_eq(group_source_name(GROUPS_NSS), "nss");
	ck_assert_str_eq(group_source_name(GROUPS_CALLER), "caller");
}
END_TEST

/* For root (always in /etc/passwd), NSS and the file agree as sets. */
START_TEST(nss_and_file_agree_for_root)
{
	gid_t a[256], b[256];
	int na = 256, nb = 256;

	ck_assert_int_eq(acct_grouplist(GROUPS_NSS, NULL, "root", 0, a, &na), 0);
	ck_assert_int_eq(acct_grouplist(GROUPS_FILES, NULL, "root", 0, b, &nb), 0);
	ck_assert_int_eq(na, nb);
	for (int i = 0; i < na; i++) {
		bool found = false;

		for (int k = 0; k < nb; k++)
			found = found || a[i] == b[k];
		ck_assert_msg(found, "gid %u from NSS is not in /etc/group's list", (unsigned)a[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accounts");
	TCase *tc = tcase_create("grouplist");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, members_from_the_file);
	tcase_add_test(tc, a_long_member_list);
	tcase_add_test(tc, too_many_groups);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, nss_and_file_agree_for_root);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
