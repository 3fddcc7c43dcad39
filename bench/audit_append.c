/* SPDX-License-Identifier: ISC */
/*
 * audit_append: what one durable audit append costs (DESIGN §10), beside
 * the floor it cannot beat (write + fdatasync of the same bytes).  Run it on
 * the file system the audit log lives on; see docs/PERFORMANCE.md.
 *
 *   bench/audit_append [-n ITERATIONS] [DIR]
 *
 * DIR (default: a new calyx-audit-bench-* directory here) is removed after.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "sig.h"

struct stats {
	double median, p90, p99, mean;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stats summarize(double *v, int n)
{
	struct stats s = { 0 };

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (int i = 0; i < n; i++)
		s.mean += v[i] / n;
	s.median = v[n / 2];
	s.p90 = v[n * 9 / 10];
	s.p99 = v[n * 99 / 100];
	return s;
}

/* The details of a typical exec_event.EXITED record (~550 bytes on disk). */
static cJSON *typical_details(void)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, "exit_code", 0);
	cJSON_AddNumberToObject(d, "duration_ms", 12);
	cJSON_AddStringToObject(d, "stdout_sha256",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cJSON_AddStringToObject(d, "stderr_sha256",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cJSON_AddStringToObject(d, "kill", "none");
	return d;
}

struct bench {
	const char *dir;
	char log[4096], key[4096];
	struct audit_ctx ctx;
	cJSON *details;
	int n;
};

static void fresh_trail(struct bench *b, const char *name, bool key)
{
	struct calyx_err err = { 0 };
	char hex[65];
	bool created;

	snprintf(b->log, sizeof(b->log), "%s/%s.jsonl", b->dir, name);
	snprintf(b->key, sizeof(b->key), "%s/%s.key", b->dir, name);
	b->ctx = (struct audit_ctx){ .log_path = b->log, .key_path = key ? b->key : NULL,
				     .host = "bench", .uid = 1000, .user = "alice" };
	if (audit_init(&b->ctx, hex, &created, &err) < 0) {
		fprintf(stderr, "audit_append: %s: %s\n", err.where, err.msg);
		exit(1);
	}
}

/* One sample: n_events records in one call, sealed or not. */
static double one(struct bench *b, size_t n_events, bool seal)
{
	struct audit_event ev[4];
	struct calyx_err err = { 0 };
	double t;

	for (size_t i = 0; i < n_events; i++)
		ev[i] = (struct audit_event){ .type = "exec_event.EXITED", .details = b->details,
					      .lease = "LEASE-20261122-141503-7f3a",
					      .run = "RUN-20261122-141503-9c1d" };
	t = now_ms();
	if (audit_append(&b->ctx, ev, n_events, seal, NULL, &err) < 0) {
		fprintf(stderr, "audit_append: %s: %s\n", err.where, err.msg);
		exit(1);
	}
	return now_ms() - t;
}

/* The floor: the same bytes with write(2) and fdatasync(2), nothing else. */
static double floor_sample(int fd, const char *line, size_t len)
{
	double t = now_ms();

	if (write(fd, line, len) != (ssize_t)len || fdatasync(fd) < 0) {
		perror("audit_append: floor");
		exit(1);
	}
	return now_ms() - t;
}

static void report(const char *what, double *v, int n)
{
	struct stats s = summarize(v, n);

	printf("%-46s %8.3f %8.3f %8.3f %8.3f\n", what, s.median, s.p90, s.p99, s.mean);
}

/* A leasexec run as it waits now: the first append is durable when it returns;
 * for the sealing one, the fdatasync of the records and the key evolution run
 * on a thread (evolve_behind) and the caller waits only for the write; the
 * join (audit_wait) is not timed: leasexec overlaps it with its last work
 * (artifacts, cgroup removal) and waits for it before exiting. */
static double run_behind(struct bench *b)
{
	struct calyx_err err = { 0 };
	double t;

	b->ctx.evolve_behind = true;
	t = one(b, 3, false) + one(b, 1, true);
	b->ctx.evolve_behind = false;
	if (audit_wait(&err) < 0) {
		fprintf(stderr, "audit_append: %s: %s\n", err.where, err.msg);
		exit(1);
	}
	return t;
}

enum { FLOOR, NOKEY, KEY, SEAL, BATCH, RUN, RUN_BEHIND, N_CASES };

static const char *const case_names[N_CASES] = {
	[FLOOR] = "write+fdatasync of 560 bytes (the floor)",
	[NOKEY] = "audit_append, 1 record, sealing off",
	[KEY] = "audit_append, 1 record, sealing on",
	[SEAL] = "audit_append, 1 record + seal",
	[BATCH] = "audit_append, 3 records in one call",
	[RUN] = "a leasexec run: 3 records, then 1 + seal",
	[RUN_BEHIND] = "the same, sync+evolution behind (what it waits)",
};

struct trails {
	struct bench t[N_CASES];
	int floor_fd;
	char line[560];
};

static void setup(struct bench *base, struct trails *tr)
{
	static const char *const names[N_CASES] = { "floor", "nokey", "key", "seal", "batch",
						    "run", "behind" };
	char path[4096];

	for (int c = NOKEY; c < N_CASES; c++) {
		tr->t[c] = *base;
		fresh_trail(&tr->t[c], names[c], c != NOKEY);
	}
	snprintf(path, sizeof(path), "%s/floor.jsonl", base->dir);
	tr->floor_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (tr->floor_fd < 0) {
		perror(path);
		exit(1);
	}
	memset(tr->line, 'x', sizeof(tr->line) - 1);
	tr->line[sizeof(tr->line) - 1] = '\n';
}

static double sample(struct trails *tr, int c)
{
	switch (c) {
	case FLOOR: return floor_sample(tr->floor_fd, tr->line, sizeof(tr->line));
	case NOKEY: return one(&tr->t[c], 1, false);
	case KEY: return one(&tr->t[c], 1, false);
	case SEAL: return one(&tr->t[c], 1, true);
	case BATCH: return one(&tr->t[c], 3, false);
	case RUN_BEHIND: return run_behind(&tr->t[c]);
	default: return one(&tr->t[c], 3, false) + one(&tr->t[c], 1, true);
	}
}

/* Round robin: every case takes one sample in turn, so that a change of
 * load on the machine touches all of them alike. */
static void run_all(struct bench *base, double *v[N_CASES])
{
	struct trails tr;

	setup(base, &tr);
	for (int i = 0; i < base->n / 10; i++)
		for (int c = 0; c < N_CASES; c++)
			sample(&tr, c);
	for (int i = 0; i < base->n; i++)
		for (int c = 0; c < N_CASES; c++)
			v[c][i] = sample(&tr, c);
	for (int c = 0; c < N_CASES; c++)
		report(case_names[c], v[c], base->n);
	close(tr.floor_fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

int main(int argc, char **argv)
{
	struct bench b = { .n = 2000 };
	char tmpl[] = "calyx-audit-bench-XXXXXX";
	double *v[N_CASES];
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		b.n = atoi(argv[2]);
		i = 3;
	}
	if (b.n < 100 || sig_init() < 0)
		return 64;
	b.dir = i < argc ? argv[i] : mkdtemp(tmpl);
	if (!b.dir || (i < argc && mkdir(b.dir, 0700) < 0 && errno != EEXIST)) {
		perror("audit_append: directory");
		return 1;
	}
	b.details = typical_details();
	for (int c = 0; c < N_CASES; c++)
		v[c] = calloc((size_t)b.n, sizeof(double));
	printf("%d samples of each, round robin, in %s; milliseconds\n", b.n, b.dir);
	printf("%-46s %8s %8s %8s %8s\n", "", "median", "p90", "p99", "mean");
	run_all(&b, v);
	nftw(b.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	cJSON_Delete(b.details);
	for (int c = 0; c < N_CASES; c++)
		free(v[c]);
	return 0;
}
