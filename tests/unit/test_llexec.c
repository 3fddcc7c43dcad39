/* SPDX-License-Identifier: ISC */
/*
 * test_llexec: Landlock under exec "listed" (issue 17), enforced in Check's
 * per-test fork (no root needed).  ll_plan_listed() takes execute away from
 * every rule but LL_EXEC_SET ones: an unlisted program fails with EACCES, a
 * listed dynamic one still starts (the loader's mmap of libc needs read,
 * not Landlock's execute), and a writable directory loses execute too.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck.h"
#include "landlock.h"

#define LOADER "/lib64/ld-linux-x86-64.so.2"

/* The exit status of path run with no arguments, or 1000 + errno of execve. */
static int run(const char *path)
{
	int fds[2], st, e = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execve(path, argv, envp);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(fds[1]);
	if (read(fds[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return e ? 1000 + e : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* false: this host cannot run the test (no Landlock, or not the x86-64 loader). */
static bool sandbox(bool listed, const char *rw_dir)
{
	struct calyx_err err = { 0 };
	struct ll_plan ll;
	int abi = ll_probe_abi();

	if (!abi || access(LOADER, F_OK) < 0 || access("/usr/bin/id", X_OK) < 0) {
		fprintf(stderr, "# skipped: Landlock ABI %d, %s\n", abi, LOADER);
		return false;
	}
	ll_plan_init(&ll, abi, false, false);
	ck_assert_int_eq(ll_plan_add(&ll, "/", LL_EXEC, false, &err), 0);
	if (rw_dir)
		ck_assert_int_eq(ll_plan_add(&ll, rw_dir, LL_RW, false, &err), 0);
	if (listed) {
		ll_plan_listed(&ll);
		ck_assert_int_eq(ll_plan_add(&ll, "/usr/bin/true", LL_EXEC_SET, false, &err), 0);
		ck_assert_int_eq(ll_plan_add(&ll, LOADER, LL_EXEC_SET, false, &err), 0);
	}
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_msg(ll_apply(&ll, &err) == 0, "%s", err.msg);
	ll_plan_free(&ll);
	return true;
}

START_TEST(listed_refuses_unlisted)
{
	if (!sandbox(true, NULL))
		return;
	ck_assert_int_eq(run("/usr/bin/id"), 1000 + EACCES);
}
END_TEST

START_TEST(listed_program_still_maps_its_libraries)
{
	if (!sandbox(true, NULL))
		return;
	/* dynamic: the loader (listed) maps libc, which is only readable */
	ck_assert_int_eq(run("/usr/bin/true"), 0);
}
END_TEST

START_TEST(any_keeps_execute)
{
	if (!sandbox(false, NULL))
		return;
	ck_assert_int_eq(run("/usr/bin/id"), 0);
}
END_TEST

START_TEST(listed_takes_execute_from_rw)
{
	char dir[] = "/tmp/calyx-llexec-XXXXXX", path[64];
	int in, out;
	char buf[65536];
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/true", dir);
	in = open("/usr/bin/true", O_RDONLY);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755);
	ck_assert(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	if (sandbox(true, dir))
		ck_assert_int_eq(run(path), 1000 + EACCES);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("llexec");
	TCase *tc = tcase_create("llexec");

	tcase_add_test(tc, listed_refuses_unlisted);
	tcase_add_test(tc, listed_program_still_maps_its_libraries);
	tcase_add_test(tc, any_keeps_execute);
	tcase_add_test(tc, listed_takes_execute_from_rw);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
