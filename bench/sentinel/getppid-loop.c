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
#include <unistd.h>

#include "../benchutil.h"

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 101;
	double *r;

	if (calls <= 0 || rounds <= 0 || rounds > 1000 || !(r = calloc((size_t)rounds, sizeof(*r))))
		return 64;
	for (int i = 0; i < rounds; i++) {
		double t0 = bench_now_ns();

		for (long c = 0; c < calls; c++)
			syscall(SYS_getppid);
		r[i] = (bench_now_ns() - t0) / (double)calls;
	}
	qsort(r, (size_t)rounds, sizeof(*r), bench_cmp_double);
	printf("min=%.1f p10=%.1f median=%.1f ns/call\n", r[0], r[rounds / 10], r[rounds / 2]);
	free(r);
	return 0;
}
