/* SPDX-License-Identifier: ISC */
/*
 * test_nsroot: the plan of the run's root (src/leasexec/ns.c), without
 * root: parents before children, duplicates merged to the wider grant,
 * binds a parent already gives dropped, a narrower or wider grant below
 * kept, lease paths through a symlink refused, a policy symlink kept as a
 * symlink, the working directory placed, "/" refused.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck.h"
#include "ns.h"

#define TEMPLATE "/tmp/calyx-nsroot-XXXXXX"
static char dir[sizeof(TEMPLATE)];
static char buf[8][PATH_MAX];
static int nbuf;

static const char *in_dir(const char *rel)
{
	char *p = buf[nbuf++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void setup(void)
{
	strcpy(dir, TEMPLATE);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(mkdir(in_dir("a"), 0755), 0);
	ck_assert_int_eq(mkdir(in_dir("a/b"), 0755), 0);
	ck_assert_int_eq(mkdir(in_dir("a-b"), 0755), 0);
	close(open(in_dir("a/f"), O_CREAT | O_WRONLY, 0644));
	ck_assert_int_eq(symlink("a", in_dir("link")), 0);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

enum { RO = NS_RDONLY | NS_NOSUID | NS_NODEV | NS_NOEXEC, RW = NS_NOSUID | NS_NODEV };

static const struct ns_mount *find(const struct ns_root *nr, const char *target)
{
	for (size_t i = 0; i < nr->n; i++)
		if (strcmp(nr->m[i].target, target) == 0)
			return &nr->m[i];
	return NULL;
}

START_TEST(order_merge_redundant)
{
	struct ns_root nr = { 0 };
	struct calyx_err err = { 0 };
	const struct ns_mount *m;
	size_t binds, ro, lease;

	/* added children first, on purpose */
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a/b"), RW | NS_FROM_LEASE, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a/f"), RO | NS_FROM_LEASE, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a-b"), RO, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a"), RO, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a-b"), RW, &err), 0);
	ck_assert_int_eq(ns_root_add(&nr, NS_TMPFS, "/tmp", &err), 0);
	ck_assert_int_eq(ns_root_finish(&nr, in_dir("a/b"), &err), 0);
	/* every mount comes after the mounts above it */
	for (size_t i = 0; i < nr.n; i++)
		for (size_t j = i + 1; j < nr.n; j++)
			ck_assert_msg(!path_is_under(nr.m[i].target, nr.m[j].target) ||
				      strcmp(nr.m[i].target, nr.m[j].target) == 0,
				      "%s before its parent %s", nr.m[i].target, nr.m[j].target);
	/* a/f: the same flags as a above it, dropped; a/b: writable, kept */
	ck_assert_ptr_null(find(&nr, in_dir("a/f")));
	ck_assert_ptr_nonnull(m = find(&nr, in_dir("a/b")));
	ck_assert_uint_eq(m->attr, RW);
	ck_assert(m->lease);
	/* a-b granted twice: one bind, the wider (writable) */
	ck_assert_ptr_nonnull(m = find(&nr, in_dir("a-b")));
	ck_assert_uint_eq(m->attr, RW);
	ck_assert_int_eq(nr.cwd_empty, false);
	ns_root_count(&nr, &binds, &ro, &lease);
	ck_assert_uint_eq(binds, 3);
	ck_assert_uint_eq(ro, 1);
	ck_assert_uint_eq(lease, 1);
	ck_assert(ns_root_fresh(&nr, "/tmp/x"));
	ck_assert(!ns_root_fresh(&nr, in_dir("a/b/c")));
	ck_assert(ns_root_visible(&nr, in_dir("a/b/c")));
	ck_assert(!ns_root_visible(&nr, "/tmp/x"));
	ns_root_free(&nr);
}
END_TEST

START_TEST(narrower_below_wider)
{
	struct ns_root nr = { 0 };
	struct calyx_err err = { 0 };
	const struct ns_mount *m;

	/* rw a with ro a/b inside: a/b is bound again, read-only */
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a"), RW | NS_FROM_LEASE, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a/b"), RO | NS_FROM_LEASE, &err), 0);
	ck_assert_int_eq(ns_root_finish(&nr, "/", &err), 0);
	ck_assert_ptr_nonnull(m = find(&nr, in_dir("a/b")));
	ck_assert_uint_eq(m->attr, RO);
	ns_root_free(&nr);
}
END_TEST

START_TEST(symlinks)
{
	struct ns_root nr = { 0 };
	struct calyx_err err = { 0 };
	const struct ns_mount *m;

	/* a lease path through a symlink: refused, with a hint */
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("link/b"), RO | NS_FROM_LEASE, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	ck_assert_ptr_nonnull(strstr(err.hint, "realpath"));
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("link"), RO | NS_FROM_LEASE, &err), -ELOOP);
	/* a policy path that is a symlink: the same symlink in the root */
	err_clear(&err);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("link"), RO, &err), 0);
	ck_assert_int_eq(ns_root_bind(&nr, in_dir("missing"), RO, &err), -ENOENT);
	ck_assert_int_eq(ns_root_finish(&nr, "/", &err), 0);
	ck_assert_ptr_nonnull(m = find(&nr, in_dir("link")));
	ck_assert_int_eq(m->kind, NS_SYMLINK);
	ck_assert_str_eq(m->link, "a");
	ns_root_free(&nr);
}
END_TEST

START_TEST(working_directory)
{
	struct ns_root nr = { 0 };
	struct calyx_err err = { 0 };
	const struct ns_mount *m;

	ck_assert_int_eq(ns_root_bind(&nr, in_dir("a/b"), RO, &err), 0);
	ck_assert_int_eq(ns_root_add(&nr, NS_TMPFS, "/tmp", &err), 0);
	/* not granted: an empty directory at the same path */
	ck_assert_int_eq(ns_root_finish(&nr, in_dir("a-b"), &err), 0);
	ck_assert(nr.cwd_empty);
	ck_assert_ptr_nonnull(m = find(&nr, in_dir("a-b")));
	ck_assert_int_eq(m->kind, NS_DIR);
	ck_assert_str_eq(nr.cwd, in_dir("a-b"));
	/* under a private tmpfs, the host's directory is not there either */
	ck_assert_int_eq(ns_root_finish(&nr, "/tmp/somewhere", &err), 0);
	ck_assert(nr.cwd_empty);
	/* granted, or the root itself: as it is */
	ck_assert_int_eq(ns_root_finish(&nr, in_dir("a/b"), &err), 0);
	ck_assert(!nr.cwd_empty);
	ck_assert_int_eq(ns_root_finish(&nr, "/", &err), 0);
	ck_assert(!nr.cwd_empty);
	ns_root_free(&nr);
}
END_TEST

START_TEST(whole_filesystem_refused)
{
	struct ns_root nr = { 0 };
	struct calyx_err err = { 0 };

	ck_assert_int_eq(ns_root_bind(&nr, "/", RO, &err), 0);
	ck_assert_int_eq(ns_root_finish(&nr, "/", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "whole filesystem"));
	ns_root_free(&nr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nsroot");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, order_merge_redundant);
	tcase_add_test(tc, narrower_below_wider);
	tcase_add_test(tc, symlinks);
	tcase_add_test(tc, working_directory);
	tcase_add_test(tc, whole_filesystem_refused);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
