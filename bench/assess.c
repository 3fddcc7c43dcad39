/* SPDX-License-Identifier: ISC */
/*
 * bench/assess: the speed budget of the pre-exec assessment (issue 13),
 * medians over many rounds:
 *   - the built-in assessors on an ordinary argv and environment (≤ 0.3 ms),
 *   - the built-in assessors over a 1 MiB shell script (≤ 20 ms),
 *   - a cached external result (shellcheck, ≤ 0.2 ms), when shellcheck is
 *     installed: the first call fills a private cache, the rest read it.
 * Usage: bench/assess [-n ROUNDS] [CACHE-DIR]; prints one line per case and
 * exits 1 if a budget is missed (the numbers are the point, not the status).
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "assess.h"
#include "sig.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int drop(void *ctx)
{
	struct passwd *pw = ctx;

	if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return -1;
	return 0;
}

typedef void (*bench_fn)(const struct assess_env *e, void *arg, struct assess_report *r);

static double median_ms(bench_fn f, const struct assess_env *e, void *arg, int n)
{
	uint64_t *t = calloc((size_t)n, sizeof(*t));
	struct assess_report *r = calloc(1, sizeof(*r));
	double m;

	if (!t || !r)
		exit(2);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		assess_report_init(r);
		f(e, arg, r);
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	m = (double)t[n / 2] / 1e6;
	free(t);
	free(r);
	return m;
}

static void run_request(const struct assess_env *e, void *arg, struct assess_report *r)
{
	struct assess_stats st = { 0 };

	assess_request(e, arg, r, &st);
}

static void run_file(const struct assess_env *e, void *arg, struct assess_report *r)
{
	const struct buf *b = arg;

	assess_file(e, "big.sh", b->data, b->len, NULL, r, NULL);
}

static void run_cached(const struct assess_env *e, void *arg, struct assess_report *r)
{
	const char *script = arg;

	assess_external(e, AX_SHELLCHECK, "small.sh", script, strlen(script), r, NULL);
}

/* An ordinary script of about n bytes: commands, comments, assignments, no secret. */
static void make_script(struct buf *b, size_t n)
{
	static const char *const lines[] = {
		"#!/bin/sh\n", "set -eu\n", "# build and test the project\n",
		"CC=${CC:-cc}\n", "for f in src/*.c; do $CC -c \"$f\" -o \"${f%.c}.o\"; done\n",
		"make -j2 test >test.log 2>&1 || { tail -n 50 test.log; exit 1; }\n",
		"rm -rf ./build/tmp\n", "export VERSION=1.2.3 BUILD_ID=20261203\n",
		"curl -fsS -o deps.tar.gz https://example.org/deps.tar.gz\n",
		"echo \"checksum e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\n",
	};

	buf_adds(b, lines[0]);
	for (size_t i = 1; b->len < n; i = i % (ARRAY_SIZE(lines) - 1) + 1)
		buf_adds(b, lines[i]);
}

int main(int argc, char **argv)
{
	char *const av[] = { "make", "-j2", "test", "CFLAGS=-O2 -g", "V=1", NULL };
	char *env[40];
	struct assess_policy pol;
	struct assess_env e = { .pol = &pol };
	struct assess_input in = { .argv = av, .envp = env, .exe = "/usr/bin/make",
				   .script_fd = -1, .cwd = "/home/alice/src" };
	struct buf big = { 0 };
	int n = 2000, bad = 0;
	double m;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		n = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (n < 10 || sig_init() < 0)
		return 2;
	assess_policy_defaults(&pol);
	for (int i = 0; i < 39; i++) {
		char kv[160];

		snprintf(kv, sizeof(kv), i % 3 ? "LC_VAR_%d=en_US.UTF-8" :
			 "PATH_%d=/usr/local/bin:/usr/bin:/bin:/home/alice/.local/bin", i);
		env[i] = strdup(kv);
	}
	env[39] = NULL;
	m = median_ms(run_request, &e, &in, n);
	printf("built-in, ordinary argv and 39 env vars: median %.4f ms (budget 0.3)\n", m);
	bad |= m > 0.3;

	make_script(&big, 1 << 20);
	m = median_ms(run_file, &e, &big, n / 50 > 10 ? n / 50 : 10);
	printf("built-in, a 1 MiB script: median %.2f ms (budget 20)\n", m);
	bad |= m > 20;

	if (argc > 1 && access("/usr/bin/shellcheck", X_OK) == 0) {
		const char *script = "#!/bin/sh\necho \"$1\"\n";
		struct assess_report *r = calloc(1, sizeof(*r));
		struct passwd *pw = getpwnam("nobody");

		pol.ext[AX_SHELLCHECK].path = strdup("/usr/bin/shellcheck");
		e.cache_dir = argv[1];
		if (geteuid() == 0 && pw) {
			e.drop = drop;
			e.drop_ctx = pw;
		}
		assess_report_init(r);
		assess_external(&e, AX_SHELLCHECK, "small.sh", script, strlen(script), r, NULL);
		free(r);
		m = median_ms(run_cached, &e, (void *)script, n);
		printf("shellcheck, cached result: median %.4f ms (budget 0.2)\n", m);
		bad |= m > 0.2;
	} else {
		printf("shellcheck, cached result: not measured (give a cache directory, and "
		       "install shellcheck)\n");
	}
	buf_free(&big);
	return bad;
}
