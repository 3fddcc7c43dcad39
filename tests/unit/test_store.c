/* SPDX-License-Identifier: ISC */
/*
 * test_store: the lease store and the file helpers under it.  Ids become file
 * names only when valid; files are created exclusively, replaced atomically,
 * listed sorted; caller-named leases are read bounded, never through a
 * symlink, never from anything but a regular file.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ck.h"
#include "fsutil.h"
#include "json.h"
#include "store.h"

#define ID1 "LEASE-20300101-000000-0001"
#define ID2 "LEASE-20300101-000000-00ff"

#define TEMPLATE "/tmp/calyx-store-XXXXXX"
static char dir[sizeof(TEMPLATE)];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void setup(void)
{
	strcpy(dir, TEMPLATE); /* fresh per test, forked or not */
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *in_dir(const char *name)
{
	static char p[2][4096];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

START_TEST(paths_from_ids)
{
	char out[64];
	struct calyx_err err = { 0 };

	ck_assert_int_eq(store_path("/s", ID1, out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "/s/" ID1 ".json");
	ck_assert_int_eq(store_path("/s", "../../etc/shadow", out, sizeof(out), &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a lease id"));
	ck_assert_int_eq(store_path("/s", "LEASE-20300101-000000-0001/../x", out, sizeof(out), &err),
			 -EINVAL);
	ck_assert_int_eq(store_path("/s", "", out, sizeof(out), &err), -EINVAL);
	ck_assert_int_eq(store_path("/a/very/long/directory/name", ID1, out, 32, &err), -ENAMETOOLONG);
}
END_TEST

START_TEST(create_read_replace)
{
	struct buf a = { .data = "{\"a\":1}\n", .len = 8 }, b = { .data = "{\"b\":2}\n", .len = 8 };
	_cleanup_buf_ struct buf got = { 0 }, again = { 0 };
	struct calyx_err err = { 0 };
	struct stat st;

	ck_assert_int_eq(store_create(dir, ID1, &a, &err), 0);
	ck_assert_int_eq(stat(in_dir(ID1 ".json"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(store_create(dir, ID1, &b, &err), -EEXIST); /* never overwrites */
	ck_assert_int_eq(store_read(dir, ID1, &got, &err), 0);
	ck_assert_str_eq(got.data, a.data);
	ck_assert_int_eq(store_replace(dir, ID1, &b, &err), 0);
	ck_assert_int_eq(store_read(dir, ID1, &again, &err), 0);
	ck_assert_str_eq(again.data, b.data);
	ck_assert_int_eq(stat(in_dir(ID1 ".json"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(store_read(dir, ID2, &again, &err), -ENOENT);
	ck_assert_str_eq(err.where, ID2);
	ck_assert_int_eq(store_create(dir, "x", &a, &err), -EINVAL);
}
END_TEST

START_TEST(list_sorted_and_filtered)
{
	struct buf a = { .data = "{}", .len = 2 };
	struct calyx_err err = { 0 };
	_cleanup_strv_ char **v = NULL;
	int fd;

	ck_assert_int_eq(store_create(dir, ID2, &a, &err), 0);
	ck_assert_int_eq(store_create(dir, ID1, &a, &err), 0);
	/* not leases: wrong names, wrong extension, a temp file */
	for (const char *const *n = (const char *const[]){ "notes.json", "LEASE-1.json",
			".json", ID1 ".json.tmp.99", ID1 ".txt", NULL }; *n; n++) {
		fd = open(in_dir(*n), O_WRONLY | O_CREAT, 0644);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(store_list(dir, &v, &err), 0);
	ck_assert_uint_eq(strv_len(v), 2);
	ck_assert_str_eq(v[0], ID1);
	ck_assert_str_eq(v[1], ID2);
	strv_free(v);
	ck_assert_int_eq(store_list(in_dir("missing"), &v, &err), -ENOENT);
	ck_assert_ptr_null(v);
}
END_TEST

static int read_named(const char *name, struct buf *out, struct calyx_err *err)
{
	return lease_file_read(AT_FDCWD, in_dir(name), out, err);
}

static void put_size(const char *name, size_t n)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)n), 0);
	close(fd);
}

START_TEST(caller_named_files)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct calyx_err err = { 0 };
	int dfd;

	put_size("max.json", JSON_MAX_SIZE);
	ck_assert_int_eq(read_named("max.json", &b, &err), 0);
	ck_assert_uint_eq(b.len, JSON_MAX_SIZE);
	buf_free(&b);
	put_size("big.json", JSON_MAX_SIZE + 1);
	ck_assert_int_eq(read_named("big.json", &b, &err), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "65537 bytes, limit is 65536"));
	ck_assert_int_eq(symlink(in_dir("max.json"), in_dir("link.json")), 0);
	ck_assert_int_eq(read_named("link.json", &b, &err), -ELOOP);
	ck_assert_str_eq(err.msg, "cannot open lease: is a symlink");
	ck_assert_int_eq(mkfifo(in_dir("fifo.json"), 0644), 0);
	ck_assert_int_eq(read_named("fifo.json", &b, &err), -EINVAL); /* and does not block */
	ck_assert_str_eq(err.msg, "lease is not a regular file");
	ck_assert_int_eq(read_named("", &b, &err), -EINVAL); /* the directory itself */
	ck_assert_int_eq(read_named("absent.json", &b, &err), -ENOENT);
	/* relative to a directory fd, as leasexec reads from the caller's cwd */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	buf_free(&b);
	ck_assert_int_eq(lease_file_read(dfd, "max.json", &b, &err), 0);
	ck_assert_int_eq(lease_file_read(dfd, "link.json", &b, &err), -ELOOP);
	close(dfd);
}
END_TEST

/* ---- fsutil ------------------------------------------------------------------ */

START_TEST(atomic_write)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct calyx_err err = { 0 };
	struct stat st;
	int fd;

	ck_assert_int_eq(write_file_atomic(in_dir("f"), "one", 3, 0600, &err), 0);
	ck_assert_int_eq(stat(in_dir("f"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(write_file_atomic(in_dir("f"), "second", 6, 0644, &err), 0);
	ck_assert_int_eq(stat(in_dir("f"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644); /* umask does not change it */
	fd = open(in_dir("f"), O_RDONLY);
	ck_assert_int_eq(read_fd_bounded(fd, 100, &b), 0);
	close(fd);
	ck_assert_str_eq(b.data, "second");
	ck_assert_int_lt(write_file_atomic(in_dir("missing/f"), "x", 1, 0644, &err), 0);
	ck_assert_int_eq(access(in_dir("f.tmp"), F_OK), -1);
}
END_TEST

START_TEST(directories)
{
	char p[4096];
	struct calyx_err err = { 0 };
	struct stat st;

	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	ck_assert_int_eq(mkdir_mode(p, 0700, (uid_t)-1, (gid_t)-1, &err), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(chmod(p, 0777), 0);
	ck_assert_int_eq(mkdir_mode(p, 0750, getuid(), getgid(), &err), 0); /* fixed up */
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(write_file_atomic(in_dir("file"), "x", 1, 0644, &err), 0);
	ck_assert_int_eq(mkdir_mode(in_dir("file"), 0700, (uid_t)-1, (gid_t)-1, &err), -ENOTDIR);
	ck_assert_int_eq(symlink(p, in_dir("link")), 0);
	ck_assert_int_eq(mkdir_mode(in_dir("link"), 0700, (uid_t)-1, (gid_t)-1, &err), -ENOTDIR);
}
END_TEST

START_TEST(locks_exclude)
{
	struct calyx_err err = { 0 };
	int a = lock_file(in_dir("l"), &err), b;

	ck_assert_int_ge(a, 0);
	b = open(in_dir("l"), O_RDWR);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(flock(b, LOCK_EX | LOCK_NB), -1); /* held by a */
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(a);
	ck_assert_int_eq(flock(b, LOCK_EX | LOCK_NB), 0);
	close(b);
	ck_assert_int_eq(symlink(in_dir("l"), in_dir("ll")), 0);
	ck_assert_int_lt(lock_file(in_dir("ll"), &err), 0);
}
END_TEST

static size_t entries(void)
{
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void assert_file(const char *name, const char *data, mode_t mode)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct stat st;
	int fd = open(in_dir(name), O_RDONLY | O_NOFOLLOW);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, mode);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_int_eq(read_fd_bounded(fd, 100, &b), 0);
	close(fd);
	ck_assert_uint_eq(b.len, strlen(data));
	ck_assert_mem_eq(b.data, data, b.len);
}

/* an unnamed file has no name until placed, then its name and whole content */
START_TEST(unnamed_until_placed)
{
	mode_t old = umask(077);
	int fd = file_unnamed(dir, 0640, getuid(), getgid()), again;

	umask(old);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(entries(), 0);
	ck_assert_int_eq(file_place(fd, in_dir("meta.json"), "{\"a\":1}\n", 8, 0640, getuid(),
				    getgid()), 0);
	close(fd);
	assert_file("meta.json", "{\"a\":1}\n", 0640); /* the umask took nothing */
	/* a name that is there is never replaced */
	again = file_unnamed(dir, 0640, getuid(), getgid());
	ck_assert_int_ge(again, 0);
	ck_assert_int_eq(file_place(again, in_dir("meta.json"), "other", 5, 0640, getuid(),
				    getgid()), -EEXIST);
	close(again);
	assert_file("meta.json", "{\"a\":1}\n", 0640);
	ck_assert_uint_eq(entries(), 1);
}
END_TEST

/* closed unnamed, it leaves nothing; a missing directory is an error */
START_TEST(unnamed_vanishes)
{
	int fd = file_unnamed(dir, 0640, getuid(), getgid());

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_uint_eq(entries(), 0);
	ck_assert_int_eq(file_unnamed(in_dir("missing"), 0640, getuid(), getgid()), -ENOENT);
}
END_TEST

/* fd -1: made at once, exclusively, never through a symlink */
START_TEST(placed_without_unnamed)
{
	mode_t old = umask(077);

	ck_assert_int_eq(file_place(-1, in_dir("exit_code.txt"), "0\n", 2, 0640, getuid(),
				    getgid()), 0);
	umask(old);
	assert_file("exit_code.txt", "0\n", 0640);
	ck_assert_int_eq(file_place(-1, in_dir("exit_code.txt"), "1\n", 2, 0640, getuid(),
				    getgid()), -EEXIST);
	assert_file("exit_code.txt", "0\n", 0640);
	ck_assert_int_eq(symlink("exit_code.txt", in_dir("link")), 0);
	ck_assert_int_eq(file_place(-1, in_dir("link"), "2\n", 2, 0640, getuid(), getgid()),
			 -EEXIST);
	assert_file("exit_code.txt", "0\n", 0640);
}
END_TEST

/* linkat by the descriptor needs CAP_DAC_READ_SEARCH (since Linux 6.10, or
 * the credentials that opened the file): without both it is refused (ENOENT)
 * and the name comes through /proc/self/fd instead */
START_TEST(placed_without_capability)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2], was[2];
	int fd = file_unnamed(dir, 0640, getuid(), getgid());

	ck_assert_int_ge(fd, 0);
	/* new credentials without the capability, after the open */
	ck_assert_int_eq((int)syscall(SYS_capget, &h, was), 0);
	memcpy(c, was, sizeof(c));
	c[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].effective &= ~CAP_TO_MASK(CAP_DAC_READ_SEARCH);
	ck_assert_int_eq((int)syscall(SYS_capset, &h, c), 0);
	/* the control: the kernel refuses the direct way now */
	ck_assert_int_eq(linkat(fd, "", AT_FDCWD, in_dir("direct"), AT_EMPTY_PATH), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(file_place(fd, in_dir("timeline.jsonl"), "{}\n", 3, 0640, getuid(),
				    getgid()), 0);
	close(fd);
	ck_assert_int_eq((int)syscall(SYS_capset, &h, was), 0); /* CK_FORK=no: as it was */
	assert_file("timeline.jsonl", "{}\n", 0640);
	ck_assert_uint_eq(entries(), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, paths_from_ids);
	tcase_add_test(tc, create_read_replace);
	tcase_add_test(tc, list_sorted_and_filtered);
	tcase_add_test(tc, caller_named_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("fsutil");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, atomic_write);
	tcase_add_test(tc, directories);
	tcase_add_test(tc, locks_exclude);
	tcase_add_test(tc, unnamed_until_placed);
	tcase_add_test(tc, unnamed_vanishes);
	tcase_add_test(tc, placed_without_unnamed);
	tcase_add_test(tc, placed_without_capability);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
