/* SPDX-License-Identifier: ISC */
/*
 * timeline_sample: what one timeline sample costs the supervisor: tl_read()
 * and the counters behind the event marks, on the cgroup nodes of a live
 * (busy) run, timed N times.  At the default 100 ms interval, a sample's
 * cost times ten is the share of one CPU the sampler takes.
 *
 *   bench/timeline_sample [-n N] NODE [MEMORY-DIR [PIDS-DIR [CPU-V1-DIR]]]
 *
 * NODE is the run's cgroup v2 directory; the others default to it (pure v2).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeline.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void source(int argc, char **argv, int i, struct tl_source *src)
{
	const char *node = argv[i];

	memset(src, 0, sizeof(*src));
	str_copy(src->node, sizeof(src->node), node);
	str_copy(src->memory, sizeof(src->memory), i + 1 < argc ? argv[i + 1] : node);
	str_copy(src->pids, sizeof(src->pids), i + 2 < argc ? argv[i + 2] : node);
	if (i + 3 < argc)
		str_copy(src->cpu_v1, sizeof(src->cpu_v1), argv[i + 3]);
}

int main(int argc, char **argv)
{
	struct tl_source src;
	struct tl t;
	double *us, sum = 0;
	int n = 2000, i = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		n = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || n < 1) {
		fprintf(stderr, "usage: timeline_sample [-n N] NODE [MEMORY [PIDS [CPU-V1]]]\n");
		return 64;
	}
	source(argc, argv, i, &src);
	us = calloc((size_t)n, sizeof(double));
	if (!us)
		return 1;
	/* cap n + 1: every sample is kept, none merged (tl_add is timed apart) */
	tl_init(&t, &src, 100, (size_t)n + 1);
	tl_start(&t, 0);
	for (int k = 0; k < n; k++) {
		double a = now_us();

		/* each call is due: it reads every file a real tick reads */
		tl_tick(&t, t.next_ms);
		us[k] = now_us() - a;
		sum += us[k];
	}
	qsort(us, (size_t)n, sizeof(double), cmp_double);
	printf("samples=%d\tmedian_us=%.1f\tp90_us=%.1f\tp99_us=%.1f\tmean_us=%.1f\t"
	       "cpu_share_at_100ms=%.3f%%\tmemory_known=%s\tpids_known=%s\tio_known=%s\n",
	       n, us[n / 2], us[n * 9 / 10], us[n * 99 / 100], sum / n, sum / n / 100000 * 100,
	       t.s[0].v[TL_MEM] >= 0 ? "yes" : "no", t.s[0].v[TL_PIDS] >= 0 ? "yes" : "no",
	       t.s[0].v[TL_IO_READ] >= 0 ? "yes" : "no");
	tl_free(&t);
	free(us);
	return 0;
}
