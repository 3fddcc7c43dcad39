/* SPDX-License-Identifier: ISC */
/*
 * bench/netns: what a run's network namespace costs (issue 16).  Root.
 *
 *   bench/netns [-n N]
 *
 * Three ways to start a process and reap it, N rounds each, round robin:
 *   plain   clone, _exit, wait: the floor of the other two
 *   fresh   clone with CLONE_NEWNET (what leasexec does for network none,
 *           loopback and allow): the namespace is made and, after the exit,
 *           torn down partly in the exiting task and partly in a kworker
 *   shared  clone, then setns into one empty namespace made beforehand and
 *           held by an fd (the alternative: a pre-made namespace every run
 *           joins)
 * Prints each one's median, p10 and p90 wall time in µs, and the CPU time
 * of the whole machine per round (from /proc/stat, kworkers included),
 * measured over a separate block of N rounds of each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

enum { PLAIN, FRESH, SHARED, KINDS };

static const char *const kind_name[KINDS] = { "plain", "fresh", "shared" };
static int shared_fd = -1;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* One process started the given way and reaped: 0, or -1 with a message. */
static int one(int kind)
{
	long flags = SIGCHLD | (kind == FRESH ? CLONE_NEWNET : 0);
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	int st;

	if (pid < 0) {
		fprintf(stderr, "netns: clone: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(kind == SHARED && setns(shared_fd, CLONE_NEWNET) < 0 ? 1 : 0);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "netns: the %s child failed\n", kind_name[kind]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long hz = sysconf(_SC_CLK_TCK);
	double *t[KINDS];
	int n = 500;

	if (argc == 3 && strcmp(argv[1], "-n") == 0)
		n = atoi(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: netns [-n N]\n");
		return 64;
	}
	if (n < 10 || n > 100000) {
		fprintf(stderr, "netns: N must be 10..100000\n");
		return 64;
	}
	/* the shared namespace: made by a child, held through /proc/PID/ns/net */
	{
		int p[2];
		char c;
		pid_t pid;

		if (pipe(p) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			if (unshare(CLONE_NEWNET) < 0)
				_exit(1);
			if (write(p[1], "r", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		close(p[1]);
		if (pid < 0 || read(p[0], &c, 1) != 1) {
			fprintf(stderr, "netns: cannot make a network namespace (root?)\n");
			return 1;
		}
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		shared_fd = open(path, O_RDONLY | O_CLOEXEC);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		if (shared_fd < 0) {
			fprintf(stderr, "netns: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	for (int k = 0; k < KINDS; k++)
		if (!(t[k] = calloc((size_t)n, sizeof(double))))
			return 1;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < KINDS; k++) {
			double a = now_us();

			if (one(k) < 0)
				return 1;
			t[k][i] = now_us() - a;
		}
	printf("kind\tn\tmedian_us\tp10_us\tp90_us\tcpu_us_per_round\n");
	for (int k = 0; k < KINDS; k++) {
		long long j0, j1;

		/* CPU of the whole machine (the kworker's teardown included), settled first */
		usleep(200000);
		j0 = bench_busy_jiffies();
		for (int i = 0; i < n; i++)
			if (one(k) < 0)
				return 1;
		usleep(200000); /* the deferred teardown of the last rounds */
		j1 = bench_busy_jiffies();
		qsort(t[k], (size_t)n, sizeof(double), bench_cmp_double);
		printf("%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\n", kind_name[k], n, t[k][n / 2], t[k][n / 10],
		       t[k][n * 9 / 10], j0 < 0 || j1 < 0 ? -1.0 : (double)(j1 - j0) * 1e6 / hz / n);
		free(t[k]);
	}
	close(shared_fd);
	return 0;
}
