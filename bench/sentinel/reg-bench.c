/* SPDX-License-Identifier: ISC */
/*
 * reg-bench: what a run's registration costs leasexec.
 *
 *   reg-bench CGROUP_PARENT [N]   (default 200)
 *
 * N times: make a cgroup v2 node under CGROUP_PARENT, runmap_register() it
 * (supervisor: this process), runmap_unregister() it, remove it.  Prints the
 * median and 90th percentile of each call in microseconds.  With no other run
 * registered every registration also attaches the tracepoints (and every
 * unregistration detaches them): run it once like that and once while a
 * long run keeps them attached.  Needs root and a running calyx-sentinel of
 * the same prefix (this is built against the test prefix).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runmap.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%s_us median=%.1f p90=%.1f\n", what, v[n / 2], v[n * 9 / 10]);
}

static int one(const char *parent, int i, double *reg, double *unreg)
{
	char path[512], id[32];
	struct calyx_err err = { 0 };
	struct runmap_summary sum;
	struct runmap_reg g;
	struct stat st;
	double t;
	int r;

	snprintf(path, sizeof(path), "%s/reg-bench-%d", parent, i);
	snprintf(id, sizeof(id), "RUN-BENCH-%d", i);
	if (mkdir(path, 0755) < 0 || stat(path, &st) < 0)
		return -errno;
	g = (struct runmap_reg){ .cgroup_id = (uint64_t)st.st_ino, .cgroup_path = path,
				 .run_id = id, .lease_id = "LEASE-BENCH", .net = NET_NONE,
				 .fatal = RUNMAP_FATAL_DEFAULT };
	t = now_us();
	r = runmap_register(&g, &err);
	*reg = now_us() - t;
	if (r == 0) {
		t = now_us();
		r = runmap_unregister(g.cgroup_id, &sum, &err);
		*unreg = now_us() - t;
	}
	rmdir(path);
	if (r < 0)
		fprintf(stderr, "reg-bench: %s: %s\n", err.where, err.msg);
	return r;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 200;
	double *reg, *unreg;

	if (argc < 2 || n < 10 || n > 100000) {
		fprintf(stderr, "usage: reg-bench CGROUP_PARENT [N]\n");
		return 64;
	}
	reg = calloc((size_t)n, sizeof(*reg));
	unreg = calloc((size_t)n, sizeof(*unreg));
	if (!reg || !unreg)
		return 1;
	for (int i = 0; i < n; i++)
		if (one(argv[1], i, &reg[i], &unreg[i]) < 0)
			return 1;
	report("register", reg, n);
	report("unregister", unreg, n);
	return 0;
}
