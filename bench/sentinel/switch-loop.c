/* SPDX-License-Identifier: ISC */
/*
 * switch-loop: the sentinel's cost per context switch, seen from user space.
 *
 *   switch-loop [TRIPS [ROUNDS]]   (default 20000 round trips, 101 rounds)
 *
 * A parent and its child, both on the CPU the loop was started on, pass one
 * byte back and forth through two pipes: each round trip is two context
 * switches and four system calls (a write and a read on each side).  Each
 * round times TRIPS round trips on the monotonic clock.  Prints the minimum,
 * 10th percentile and median of the rounds in ns per round trip.  Run it
 * pinned (taskset) next to the same loop under other conditions: only
 * differences between conditions mean anything.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../benchutil.h"

/* the child: echo every byte until the parent closes its end */
static void echo_loop(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

int main(int argc, char **argv)
{
	long trips = argc > 1 ? atol(argv[1]) : 20000;
	int rounds = argc > 2 ? atoi(argv[2]) : 101, to[2], from[2], st;
	cpu_set_t one;
	char c = 'x';
	double *r;
	pid_t pid;

	if (trips <= 0 || rounds <= 0 || rounds > 1000 || !(r = calloc((size_t)rounds, sizeof(*r))))
		return 64;
	/* one CPU for both, whatever the caller allowed: every hand-over is a
	 * context switch on it */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0 || pipe(to) < 0 || pipe(from) < 0) {
		perror("switch-loop");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("switch-loop: fork");
		return 1;
	}
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		echo_loop(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	for (int i = 0; i < rounds; i++) {
		double t0 = bench_now_ns();

		for (long k = 0; k < trips; k++)
			if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1) {
				perror("switch-loop: pipe");
				kill(pid, SIGKILL);
				return 1;
			}
		r[i] = (bench_now_ns() - t0) / (double)trips;
	}
	close(to[1]);
	waitpid(pid, &st, 0);
	qsort(r, (size_t)rounds, sizeof(*r), bench_cmp_double);
	printf("min=%.1f p10=%.1f median=%.1f ns/round trip\n", r[0], r[rounds / 10], r[rounds / 2]);
	free(r);
	return 0;
}
