/* SPDX-License-Identifier: ISC */
/*
 * getppid-loop: the sentinel's per-syscall cost, seen from user space.
 *
 *   getppid-loop [CALLS [ROUNDS]]   (default 100000 calls, 101 rounds)
 *
 * Each round times CALLS raw getppid(2) calls (no libc caching) on the
 * monotonic clock.  Prints the minimum, 10th percentile and median of the
 * rounds in ns per call.  On a noisy (virtual) machine the minimum and p10
 * are the stable figures: other tenants only ever add time.  Run it pinned
 * (taskset) next to the same loop under other conditions: only differences
 * between conditions mean anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 101;
	double *r;

	if (calls <= 0 || rounds <= 0 || rounds > 1000 || !(r = calloc((size_t)rounds, sizeof(*r))))
		return 64;
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ns();

		for (long c = 0; c < calls; c++)
			syscall(SYS_getppid);
		r[i] = (now_ns() - t0) / (double)calls;
	}
	qsort(r, (size_t)rounds, sizeof(*r), cmp);
	printf("min=%.1f p10=%.1f median=%.1f ns/call\n", r[0], r[rounds / 10], r[rounds / 2]);
	free(r);
	return 0;
}
