/* SPDX-License-Identifier: ISC */
/*
 * runs: run commands many times and time them, for bench/run.
 *
 *   runs [-n N] [-j J] [-w W] [-q] -- CMD [ARG]... [:: CMD [ARG]...]...
 *
 * With one command: N runs of it, J at a time (each worker starts the next
 * run when its last one ends), after W warm-up runs; prints the rate (runs
 * per second of wall time) and the latency of each run.  With several
 * commands (separated by "::") and J = 1: N rounds, each running every
 * command once in turn, so that a change in the machine's load touches all
 * of them alike; prints each command's latency.  A run that exits non-zero
 * counts as failed (reported, and the exit status is 2).  The commands'
 * stdin, stdout and stderr are /dev/null.  Times are wall-clock ms from
 * fork to reaping; maxrss_kb is the largest peak RSS of a run's process
 * (including what it reaped itself: for leasexec, its command too).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

static long maxrss[MAX_CMDS];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static pid_t start(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Run argv once; its wall time in ms, negative if it failed. */
static double once(char **argv, long *rss)
{
	double t0 = now_ms();
	struct rusage ru;
	int st;
	pid_t pid = start(argv);

	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return -1;
	if (ru.ru_maxrss > *rss)
		*rss = ru.ru_maxrss;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? now_ms() - t0 : -(now_ms() - t0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *s, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? s[i < n ? i : n - 1] : 0;
}

static void report(const char *name, double *t, size_t n, size_t failed, long rss)
{
	double sum = 0;

	qsort(t, n, sizeof(*t), cmp);
	for (size_t i = 0; i < n; i++)
		sum += t[i];
	printf("%s\tn=%zu\tmedian=%.3f\tp10=%.3f\tp90=%.3f\tmean=%.3f\tmin=%.3f\tmax=%.3f\t"
	       "failed=%zu\tmaxrss_kb=%ld\n", name, n, pct(t, n, 0.5), pct(t, n, 0.1), pct(t, n, 0.9),
	       n ? sum / (double)n : 0, n ? t[0] : 0, n ? t[n - 1] : 0, failed, rss);
}

/* J workers over N runs of one command: the rate, and each run's latency. */
static int parallel(char **argv, size_t n, int jobs)
{
	double *t = calloc(n, sizeof(*t)), *t0 = calloc((size_t)jobs, sizeof(*t0)), start_ms;
	pid_t *pid = calloc((size_t)jobs, sizeof(*pid));
	size_t started = 0, done = 0, failed = 0;

	if (!t || !t0 || !pid)
		return 1;
	start_ms = now_ms();
	for (int j = 0; j < jobs && started < n; j++, started++) {
		t0[j] = now_ms();
		pid[j] = start(argv);
	}
	while (done < n) {
		struct rusage ru;
		int st;
		pid_t w = wait4(-1, &st, 0, &ru);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < jobs; j++) {
			if (pid[j] != w)
				continue;
			t[done++] = now_ms() - t0[j];
			if (ru.ru_maxrss > maxrss[0])
				maxrss[0] = ru.ru_maxrss;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
			pid[j] = 0;
			if (started < n) {
				t0[j] = now_ms();
				pid[j] = start(argv);
				started++;
			}
		}
	}
	printf("rate\truns=%zu\tjobs=%d\twall_s=%.3f\truns_per_s=%.1f\n", done, jobs,
	       (now_ms() - start_ms) / 1e3, (double)done / ((now_ms() - start_ms) / 1e3));
	report("latency", t, done, failed, maxrss[0]);
	return failed ? 2 : 0;
}

int main(int argc, char **argv)
{
	char **cmd[MAX_CMDS];
	size_t n = 100, warm = 10, ncmd = 0;
	int jobs = 1, o;

	while ((o = getopt(argc, argv, "+n:j:w:")) != -1) {
		switch (o) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'j': jobs = atoi(optarg); break;
		case 'w': warm = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: runs [-n N] [-j J] [-w W] -- CMD... [:: CMD...]...\n");
			return 64;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc || jobs < 1 || n < 1) {
		fprintf(stderr, "runs: no command\n");
		return 64;
	}
	cmd[ncmd++] = argv + optind;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "::") != 0)
			continue;
		argv[i] = NULL;
		if (ncmd == MAX_CMDS || i + 1 >= argc)
			return 64;
		cmd[ncmd++] = argv + i + 1;
	}
	for (size_t w = 0; w < warm; w++)
		for (size_t c = 0; c < ncmd; c++)
			once(cmd[c], &maxrss[c]);
	if (ncmd == 1 && jobs > 1)
		return parallel(cmd[0], n, jobs);
	{
		double *t[MAX_CMDS];
		size_t failed[MAX_CMDS] = { 0 };
		double t_all = now_ms();

		for (size_t c = 0; c < ncmd; c++)
			if (!(t[c] = calloc(n, sizeof(double))))
				return 1;
		for (size_t i = 0; i < n; i++) {
			for (size_t c = 0; c < ncmd; c++) {
				double d = once(cmd[c], &maxrss[c]);

				if (d < 0)
					failed[c]++;
				t[c][i] = d < 0 ? -d : d;
			}
		}
		if (ncmd == 1)
			printf("rate\truns=%zu\tjobs=1\twall_s=%.3f\truns_per_s=%.1f\n", n,
			       (now_ms() - t_all) / 1e3, (double)n / ((now_ms() - t_all) / 1e3));
		for (size_t c = 0; c < ncmd; c++) {
			char name[64];

			snprintf(name, sizeof(name), "cmd%zu", c + 1);
			report(ncmd == 1 ? "latency" : name, t[c], n, failed[c], maxrss[c]);
		}
		for (size_t c = 0; c < ncmd; c++)
			if (failed[c])
				return 2;
	}
	return 0;
}
