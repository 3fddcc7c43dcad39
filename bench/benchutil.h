/* SPDX-License-Identifier: ISC */
/*
 * bench/benchutil.h: what the small bench programs share.
 */
#ifndef CALYX_BENCHUTIL_H
#define CALYX_BENCHUTIL_H

#include <stdio.h>
#include <time.h>

/* The machine's busy jiffies so far (all CPUs: user to steal, no idle/iowait;
 * kworkers included), or -1. */
static inline long long bench_busy_jiffies(void)
{
	long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	return n == 8 ? v[0] + v[1] + v[2] + v[5] + v[6] + v[7] : -1;
}

/* The monotonic clock in ns. */
static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort order of doubles */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
