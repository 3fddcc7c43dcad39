/* SPDX-License-Identifier: ISC */
/*
 * test_stage: the staged-writes model (src/lib/stage.c).  The unified diff
 * writer against golden hunks (as git diff --no-index prints them), the
 * symlink containment rule, and the manifest: a fake upper layer scanned
 * against a fake real tree (whiteouts and opaque directories need root: those
 * cases skip without it), its JSON round trip and digest, and the refusal of
 * manifests whose paths could leave the staged tree.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ck.h"
#include "stage.h"

static char *diff(const char *a, const char *b, int *ret)
{
	struct buf out = { 0 };

	*ret = stage_udiff(a, strlen(a), b, strlen(b), "a/f", "b/f", &out);
	buf_addc(&out, '\0');
	return out.data;
}

START_TEST(diff_one_change)
{
	int r;
	char *d = diff("line 1\nline 2\nline 3\n", "line 1\nline two\nline 3\nline 4\n", &r);

	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n line 1\n-line 2\n+line two\n"
			    " line 3\n+line 4\n");
	free(d);
}
END_TEST

START_TEST(diff_two_hunks)
{
	int r;
	char *d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
		       "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n", &r);

	ck_assert_int_eq(r, 0);
	/* more than 6 unchanged lines apart: two hunks, 3 lines of context each */
	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n"
			    "@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n");
	free(d);
}
END_TEST

START_TEST(diff_close_changes_merge)
{
	int r;
	char *d = diff("a\nb\nc\nd\ne\nf\ng\n", "A\nb\nc\nd\ne\nf\nG\n", &r);

	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1,7 +1,7 @@\n-a\n+A\n b\n c\n d\n e\n f\n-g\n+G\n");
	free(d);
}
END_TEST

START_TEST(diff_new_and_deleted_file)
{
	int r;
	char *d = diff("", "x\ny\n", &r);

	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	free(d);
	d = diff("x\n", "", &r);
	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-x\n");
	free(d);
}
END_TEST

START_TEST(diff_no_newline_at_eof)
{
	int r;
	char *d = diff("a\nb", "a\nb\n", &r);

	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of "
			    "file\n+b\n");
	free(d);
}
END_TEST

START_TEST(diff_binary_and_same)
{
	struct buf out = { 0 };
	int r;
	char *d;

	ck_assert_int_eq(stage_udiff("a\0b", 3, "a", 1, "a/f", "b/f", &out), 1);
	ck_assert_uint_eq(out.len, 0);
	d = diff("same\n", "same\n", &r);
	ck_assert_str_eq(d, "--- a/f\n+++ b/f\n");
	free(d);
	ck_assert(stage_is_binary("\x7f" "ELF\0", 5));
	ck_assert(!stage_is_binary("plain text", 10));
}
END_TEST

START_TEST(diff_large_is_bounded)
{
	/* a rewrite of 5000 lines: beyond the step bound, still a correct diff */
	struct buf a = { 0 }, b = { 0 }, out = { 0 };

	for (int i = 0; i < 5000; i++) {
		buf_printf(&a, "old %d\n", i);
		buf_printf(&b, "new %d\n", i);
	}
	ck_assert_int_eq(stage_udiff(a.data, a.len, b.data, b.len, "a/f", "b/f", &out), 0);
	ck_assert(strstr(out.data, "@@ -1,5000 +1,5000 @@\n-old 0\n") != NULL);
	buf_free(&a);
	buf_free(&b);
	buf_free(&out);
}
END_TEST

START_TEST(links_stay_inside)
{
	ck_assert(stage_link_inside("a/link", "b", "/srv/app"));
	ck_assert(stage_link_inside("a/link", "../b", "/srv/app"));
	ck_assert(stage_link_inside("link", "/srv/app/x", "/srv/app"));
	ck_assert(!stage_link_inside("link", "../x", "/srv/app"));
	ck_assert(!stage_link_inside("a/link", "../../etc/shadow", "/srv/app"));
	ck_assert(!stage_link_inside("a/link", "x/../../../y", "/srv/app"));
	ck_assert(!stage_link_inside("link", "/etc/shadow", "/srv/app"));
	ck_assert(!stage_link_inside("link", "/srv/application", "/srv/app"));
	ck_assert(!stage_link_inside("link", "", "/srv/app"));
}
END_TEST

/* ---- manifests ----------------------------------------------------------------- */

static char tmp[64];

static int sub(const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	return open(p, O_RDONLY | O_DIRECTORY);
}

static void put(const char *path, const char *text, mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmp, path);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	fchmod(fd, mode);
	close(fd);
}

static void dir(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmp, path);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static const struct stage_entry *find(const struct stage_dir *d, const char *path, int kind)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->e[i].path, path) == 0 && (kind < 0 || (int)d->e[i].kind == kind))
			return &d->e[i];
	return NULL;
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/calyx-stage-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	dir("low");
	dir("up");
	dir("low/src");
	dir("up/src");
	put("low/src/main.c", "int main;\n", 0644);
	put("up/src/main.c", "int main(void);\n", 0644);
	put("low/conf", "x=1\n", 0644);
	put("up/conf", "x=1\n", 0600);
	put("low/old", "moved content\n", 0644);
	put("up/new", "moved content\n", 0644);
	put("up/added", "hello\n", 0644);
	dir("up/tree");
	put("up/tree/leaf", "leaf\n", 0644);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void check_scan(bool root)
{
	struct stage_dir d;
	struct calyx_err err = { 0 };
	int up = sub("up"), low = sub("low");
	const struct stage_entry *e;

	if (root)
		ck_assert_int_eq(mknodat(up, "old", S_IFCHR | 0, makedev(0, 0)), 0);
	ck_assert_int_eq(stage_scan(up, low, "/srv/app", &d, &err), 0);
	ck_assert_ptr_nonnull(e = find(&d, "src/main.c", SK_MODIFIED));
	ck_assert_uint_eq(e->old.size, 10);
	ck_assert_uint_eq(e->new.size, 16);
	ck_assert_str_ne(e->old.sha256, e->new.sha256);
	ck_assert_ptr_nonnull(e = find(&d, "conf", SK_METADATA));
	ck_assert_uint_eq(e->old.mode, 0644);
	ck_assert_uint_eq(e->new.mode, 0600);
	ck_assert_ptr_nonnull(find(&d, "added", SK_ADDED));
	ck_assert_ptr_nonnull(e = find(&d, "tree", SK_ADDED));
	ck_assert_int_eq(e->new.type, ST_DIR);
	ck_assert_ptr_nonnull(find(&d, "tree/leaf", SK_ADDED));
	/* a directory comes before what it holds */
	ck_assert((uintptr_t)find(&d, "tree", -1) < (uintptr_t)find(&d, "tree/leaf", -1));
	if (root) {
		ck_assert_ptr_nonnull(find(&d, "old", SK_DELETED));
		ck_assert_ptr_nonnull(e = find(&d, "new", SK_RENAMED));
		ck_assert_str_eq(e->from, "old");
	} else {
		ck_assert_ptr_nonnull(find(&d, "new", SK_ADDED));
	}
	ck_assert_uint_eq(d.bytes, 16 + 4 + 14 + 6 + 5);
	struct stage_manifest m = { .d = malloc(sizeof(d)), .n = 1 };

	*m.d = d; /* freed with the manifest */
	/* JSON round trip: the same canonical bytes, the same digest */
	struct buf b1 = { 0 }, b2 = { 0 };
	char h1[65], h2[65];
	struct stage_manifest back;
	cJSON *j;

	ck_assert_int_eq(stage_manifest_bytes(&m, &b1, h1), 0);
	j = stage_manifest_json(&m);
	ck_assert_int_eq(stage_manifest_parse(j, &back, &err), 0);
	ck_assert_int_eq(stage_manifest_bytes(&back, &b2, h2), 0);
	ck_assert_str_eq(h1, h2);
	ck_assert_uint_eq(b1.len, b2.len);
	ck_assert_int_eq(memcmp(b1.data, b2.data, b1.len), 0);
	cJSON_Delete(j);
	stage_manifest_free(&back);
	stage_manifest_free(&m);
	buf_free(&b1);
	buf_free(&b2);
	close(up);
	close(low);
}

START_TEST(scan_unprivileged)
{
	check_scan(false);
}
END_TEST

START_TEST(scan_whiteouts)
{
	if (geteuid() != 0)
		return; /* a whiteout (char 0/0) needs CAP_MKNOD */
	check_scan(true);
}
END_TEST

START_TEST(scan_opaque_dir)
{
	struct stage_dir d;
	struct calyx_err err = { 0 };
	int up, low;

	if (geteuid() != 0)
		return; /* trusted.* xattrs need CAP_SYS_ADMIN */
	up = sub("up");
	low = sub("low");
	/* rm -rf src; mkdir src; echo > src/fresh: an opaque src hides the real one */
	ck_assert_int_eq(unlinkat(up, "src/main.c", 0), 0);
	put("up/src/fresh", "f\n", 0644);
	int s = openat(up, "src", O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(fsetxattr(s, "trusted.overlay.opaque", "y", 1, 0), 0);
	close(s);
	ck_assert_int_eq(stage_scan(up, low, "/srv/app", &d, &err), 0);
	ck_assert_ptr_nonnull(find(&d, "src/main.c", SK_DELETED));
	ck_assert_ptr_nonnull(find(&d, "src/fresh", SK_ADDED));
	struct stage_manifest m = { .d = malloc(sizeof(d)), .n = 1 };

	*m.d = d; /* freed with the manifest */

	stage_manifest_free(&m);
	close(up);
	close(low);
}
END_TEST

/* A directory a commit deletes (or a rollback removes) holds nothing the change does not remove. */
START_TEST(dir_unlisted_names_extra)
{
	struct stage_entry e[] = {
		{ .path = "dd/a", .kind = SK_DELETED, .old = { .type = ST_FILE } },
		{ .path = "dd", .kind = SK_DELETED, .old = { .type = ST_DIR } },
		{ .path = "ddish", .kind = SK_DELETED, .old = { .type = ST_FILE } },
		{ .path = "tree", .kind = SK_ADDED, .new = { .type = ST_DIR } },
		{ .path = "tree/leaf", .kind = SK_ADDED, .new = { .type = ST_FILE } },
	};
	struct stage_dir d = { .root = "/srv/app", .e = e, .n = ARRAY_SIZE(e) };
	char name[128];
	int fd;

	dir("low/dd");
	put("low/dd/a", "a\n", 0644);
	ck_assert_int_ge(fd = sub("low/dd"), 0);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "dd", 1, NULL, name, sizeof(name)), 0);
	/* someone adds a file under the directory the stage deletes */
	put("low/dd/b", "b\n", 0644);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "dd", 1, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "dd/b");
	/* a name deleted elsewhere (ddish, elsewhere) does not count */
	put("low/dd/ddish", "c\n", 0644);
	unlinkat(fd, "b", 0);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "dd", 1, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "dd/ddish");
	close(fd);
	/* a rollback removes the added tree: only what the commit added may be in it */
	ck_assert_int_ge(fd = sub("up/tree"), 0);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "tree", -1, NULL, name, sizeof(name)), 0);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "tree", 1, NULL, name, sizeof(name)), 1);
	/* the copy a killed commit left beside a name it adds is not someone else's */
	put("up/tree/.calyx-RUN-x.leaf", "l\n", 0644);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "tree", -1, ".calyx-RUN-x.", name,
					    sizeof(name)), 0);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "tree", -1, NULL, name, sizeof(name)), 1);
	unlinkat(fd, ".calyx-RUN-x.leaf", 0);
	put("up/tree/later", "l\n", 0644);
	ck_assert_int_eq(stage_dir_unlisted(fd, &d, "tree", -1, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "tree/later");
	close(fd);
}
END_TEST

static int parse_text(const char *text, struct stage_manifest *m, struct calyx_err *err)
{
	cJSON *j = cJSON_Parse(text);
	int r;

	ck_assert_ptr_nonnull(j);
	r = stage_manifest_parse(j, m, err);
	cJSON_Delete(j);
	if (r == 0)
		stage_manifest_free(m);
	return r;
}

START_TEST(parse_refuses_escapes)
{
	static const char *const bad[] = {
		"{\"v\":1,\"dirs\":[{\"root\":\"/srv/app\",\"bytes\":0,\"entries\":[{\"path\":"
		"\"../etc/passwd\",\"kind\":\"added\",\"new\":{\"type\":\"file\",\"mode\":420,"
		"\"uid\":0,\"gid\":0,\"size\":0,\"ino\":1,\"nlink\":1,\"mtime\":0,\"mtime_nsec\":0}}]}]}",
		"{\"v\":1,\"dirs\":[{\"root\":\"/srv/app\",\"bytes\":0,\"entries\":[{\"path\":"
		"\"/etc/passwd\",\"kind\":\"added\",\"new\":{\"type\":\"file\",\"mode\":420,"
		"\"uid\":0,\"gid\":0,\"size\":0,\"ino\":1,\"nlink\":1,\"mtime\":0,\"mtime_nsec\":0}}]}]}",
		"{\"v\":1,\"dirs\":[{\"root\":\"/\",\"bytes\":0,\"entries\":[]}]}",
		"{\"v\":1,\"dirs\":[{\"root\":\"/srv/app\",\"bytes\":0,\"entries\":[{\"path\":"
		"\"a\",\"kind\":\"deleted\"}]}]}",
		"{\"v\":1,\"dirs\":[],\"extra\":1}",
		"{\"v\":2,\"dirs\":[]}",
	};
	struct stage_manifest m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct calyx_err err = { 0 };

		ck_assert_msg(parse_text(bad[i], &m, &err) < 0, "accepted #%zu", i);
	}
	struct calyx_err err = { 0 };

	ck_assert_int_eq(parse_text("{\"v\":1,\"dirs\":[]}", &m, &err), 0);
}
END_TEST

static struct timespec ctime_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ctim;
}

/* t0 is past the fine clock read before the call: the coarse clock alone,
 * read after it, is not (but when a tick fell in between) */
START_TEST(start_after_the_fine_clock)
{
	for (int i = 0; i < 20; i++) {
		struct timespec fine, t0;

		clock_gettime(CLOCK_REALTIME, &fine);
		stage_start_time(&t0);
		ck_assert(!stage_changed_since(&fine, &t0));
	}
}
END_TEST

/* a change made just before, its ctime read in between (a fine-grained stamp
 * from Linux 6.13), is before t0; the next change is at or after it */
START_TEST(changes_before_and_after_the_start)
{
	char p[128];
	struct timespec before, t0, after;
	int fd;

	snprintf(p, sizeof(p), "%s/f", tmp);
	fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "a", 1), 1);
	(void)ctime_of(fd); /* queried: the next change in this tick is stamped finely */
	ck_assert_int_eq(write(fd, "b", 1), 1);
	before = ctime_of(fd);
	stage_start_time(&t0);
	ck_assert(!stage_changed_since(&before, &t0));
	ck_assert_int_eq(write(fd, "c", 1), 1);
	after = ctime_of(fd);
	ck_assert(stage_changed_since(&after, &t0));
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stage");
	TCase *tc = tcase_create("diff");
	TCase *tm = tcase_create("manifest");

	/* the bounded diff of 5000 lines takes seconds under ASan on a busy host:
	 * a hang guard, not a speed test */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, diff_one_change);
	tcase_add_test(tc, diff_two_hunks);
	tcase_add_test(tc, diff_close_changes_merge);
	tcase_add_test(tc, diff_new_and_deleted_file);
	tcase_add_test(tc, diff_no_newline_at_eof);
	tcase_add_test(tc, diff_binary_and_same);
	tcase_add_test(tc, diff_large_is_bounded);
	tcase_add_test(tc, links_stay_inside);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, scan_unprivileged);
	tcase_add_test(tm, scan_whiteouts);
	tcase_add_test(tm, scan_opaque_dir);
	tcase_add_test(tm, parse_refuses_escapes);
	tcase_add_test(tm, dir_unlisted_names_extra);
	tcase_add_test(tm, start_after_the_fine_clock);
	tcase_add_test(tm, changes_before_and_after_the_start);
	suite_add_tcase(s, tm);
	return ck_run(s);
}
