/* SPDX-License-Identifier: ISC */
/*
 * calyx run list|show: the artifacts of past runs (DESIGN §7), for people.
 * Reads meta.json strictly; checks the logs against the hashes recorded
 * there, so a changed artifact is reported, not rendered as if intact.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "calyx.h"
#include "canon.h"
#include "json.h"
#include "paths.h"
#include "sig.h"
#include "stage_cmds.h"
#include "store.h"

static const char syn_list[] = "  calyx run list [--lease ID] [--json]\n";
static const char syn_show[] = "  calyx run show RUN [--json]\n";
static const char syn_report[] = "  calyx run report RUN [--json] [--html FILE]\n";
static const char syn_prune[] = "  calyx run prune [--dry-run] [--force]\n";

bool run_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 25 || n > 40 || strncmp(s, "RUN-", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || s[i] == '-'))
			return false;
	return true;
}

/* meta.json of a run, parsed; NULL if the run has none (still running, or failed early). */
static cJSON *load_meta(const char *run, struct calyx_err *err)
{
	char p[PATH_MAX];
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };

	snprintf(p, sizeof(p), "%s/%s/meta.json", calyx_paths.runs, run);
	if (lease_file_read(AT_FDCWD, p, &b, err) < 0)
		return NULL;
	if (json_parse_strict(b.data, b.len, JSON_MAX_SIZE, "meta.json", &doc, err) < 0)
		return NULL;
	return doc.root;
}

static const char *str(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot = strchr(path, '.');

	if (!o)
		return NULL;
	if (!dot) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path);

		return cJSON_IsString(v) ? v->valuestring : NULL;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return str(cJSON_GetObjectItemCaseSensitive(o, key), dot + 1);
}

static double num(const cJSON *o, const char *path, double dflt)
{
	char key[64];
	const char *dot = strchr(path, '.');

	if (!o)
		return dflt;
	if (!dot) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path);

		return cJSON_IsNumber(v) ? v->valuedouble : dflt;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return num(cJSON_GetObjectItemCaseSensitive(o, key), dot + 1, dflt);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_runs(struct calyx_err *err)
{
	DIR *d = opendir(calyx_paths.runs);
	struct dirent *e;
	size_t n = 0;
	char **v = calloc(1, sizeof(char *));

	if (!d) {
		free(v);
		err_set(err, errno, calyx_paths.runs, "cannot list: %s", strerror(errno));
		return NULL;
	}
	while (v && (e = readdir(d))) {
		char **nv;

		if (!run_id_valid(e->d_name) || !(nv = realloc(v, (n + 2) * sizeof(char *))))
			continue;
		v = nv;
		v[n] = strdup(e->d_name);
		v[n += !!v[n]] = NULL;
	}
	closedir(d);
	if (v)
		qsort(v, n, sizeof(char *), cmp_str);
	return v;
}

static void list_row(const char *run, const cJSON *m)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(m, "argv");
	double code = num(m, "outcome.exit_code", -1);

	printf("%-30s %-27s %-12s ", run, str(m, "lease") ?: "-", str(m, "identity.subject") ?: "-");
	if (!m)
		printf("%-5s %-8s  (running, or failed before it ended)\n", "-", "-");
	else
		printf("%-5.0f %6.2fs  ", code, num(m, "duration_ms", 0) / 1000);
	for (const cJSON *a = argv ? argv->child : NULL; a; a = a->next) {
		cx_print_safe(stdout, a->valuestring);
		putchar(a->next ? ' ' : '\n');
	}
	if (m && (!argv || !argv->child))
		putchar('\n');
}

static int run_list(struct cx *cx, int argc, char **argv)
{
	_cleanup_strv_ char **runs = NULL;
	_cleanup_cjson_ cJSON *arr = NULL;
	struct calyx_err err = { 0 };
	const char *lease = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (strcmp(argv[i], "--lease") == 0 && i + 1 < argc)
			lease = argv[++i];
		else
			return cx_usage(syn_list, "unexpected argument \"%s\"", argv[i]);
	}
	if (!(runs = list_runs(&err)))
		return cx_fail(&err, EXIT_ERR);
	if (cx->json)
		arr = cJSON_CreateArray();
	else
		printf("%-30s %-27s %-12s %-5s %-8s  %s\n", "RUN", "LEASE", "SUBJECT", "EXIT",
		       "TIME", "COMMAND");
	for (size_t i = 0; runs[i]; i++) {
		struct calyx_err e2 = { 0 };
		_cleanup_cjson_ cJSON *m = load_meta(runs[i], &e2);

		if (lease && (!m || !str(m, "lease") || strcmp(str(m, "lease"), lease) != 0))
			continue;
		if (arr) {
			cJSON *o = m ? cJSON_Duplicate(m, 1) : cJSON_CreateObject();

			if (!m)
				cJSON_AddStringToObject(o, "run", runs[i]);
			cJSON_AddItemToArray(arr, o);
		} else {
			list_row(runs[i], m);
		}
	}
	if (arr) {
		_cleanup_buf_ struct buf b = { 0 };

		canon_write(arr, &b);
		printf("%s\n", b.data);
	}
	return EXIT_OK;
}

/* Hash an artifact and compare with meta.json: "ok", "CHANGED" or why not. */
static const char *check_log(const char *run, const char *name, const char *want, char *size,
			     size_t n)
{
	char p[PATH_MAX], hex[65];
	uint8_t h[SHA256_BYTES];
	_cleanup_close_ int fd = -1;
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s", calyx_paths.runs, run, name);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return "missing";
	snprintf(size, n, "%lld bytes", (long long)st.st_size);
	if (!want)
		return "not recorded";
	if (sig_sha256_fd(fd, h) < 0)
		return "unreadable";
	sig_hex(h, sizeof(h), hex);
	return strcmp(hex, want) == 0 ? "sha256 matches meta.json" : "CHANGED: sha256 differs from "
		"meta.json";
}

static void show_layers(const cJSON *m)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(m, "layers"), *c;

	printf("layers\n");
	cJSON_ArrayForEach(c, l) {
		printf("  %-15s %-9s ", c->string, str(c, "state") ?: "?");
		cx_print_safe(stdout, str(c, "detail") ?: "");
		putchar('\n');
	}
}

static void show_usage(const cJSON *m)
{
	printf("usage       cpu %.3fs user + %.3fs sys, memory peak %.1f MiB", 
	       num(m, "usage.cpu_user_usec", 0) / 1e6, num(m, "usage.cpu_sys_usec", 0) / 1e6,
	       num(m, "usage.memory_peak", 0) / 1048576.0);
	if (num(m, "usage.oom_kills", 0) > 0)
		printf(", OOM kills %.0f", num(m, "usage.oom_kills", 0));
	if (num(m, "usage.pids_limit_hits", 0) > 0)
		printf(", pids limit hit %.0f times", num(m, "usage.pids_limit_hits", 0));
	printf("\nsentinel    %s", str(m, "sentinel.state") ?: "?");
	if (num(m, "sentinel.syscalls", -1) >= 0)
		printf(": %.0f syscalls, %.0f execs, %.0f forks, %.0f connects allowed, %.0f denied, "
		       "%.0f events lost", num(m, "sentinel.syscalls", 0), num(m, "sentinel.execs", 0),
		       num(m, "sentinel.forks", 0), num(m, "sentinel.connects_allowed", 0),
		       num(m, "sentinel.connects_denied", 0), num(m, "sentinel.lost_events", 0));
	putchar('\n');
}

static void show_human(const char *run, const cJSON *m)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(m, "argv");
	char size[64] = "";
	const char *v;

	printf("run         %s\nlease       %s\n", run, str(m, "lease") ?: "?");
	printf("subject     %s, ran as %s\ncommand     ", str(m, "identity.subject") ?: "?",
	       str(m, "identity.run_as") ?: "?");
	for (const cJSON *a = argv ? argv->child : NULL; a; a = a->next) {
		cx_print_safe(stdout, a->valuestring);
		putchar(' ');
	}
	printf("\ncwd         ");
	cx_print_safe(stdout, str(m, "cwd") ?: "?");
	printf("\nwhen        %s .. %s (%.3fs)\n", str(m, "start") ?: "?", str(m, "end") ?: "?",
	       num(m, "duration_ms", 0) / 1000);
	printf("exit        %.0f", num(m, "outcome.exit_code", -1));
	if ((v = str(m, "outcome.kill_reason")))
		printf(" (killed: %s)", v);
	if (num(m, "outcome.signal", 0) > 0)
		printf(" (signal %.0f)", num(m, "outcome.signal", 0));
	if ((v = str(m, "outcome.failed_stage")))
		printf(" (failed at %s: %s)", v, str(m, "outcome.error") ?: "");
	printf("\nnetwork     %s\n", str(m, "network") ?: "?");
	show_usage(m);
	show_layers(m);
	v = check_log(run, "stdout.log", str(m, "stdout.sha256"), size, sizeof(size));
	printf("stdout.log  %s, %s%s\n", size, v, num(m, "stdout.truncated", 0) ||
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		       cJSON_GetObjectItemCaseSensitive(m, "stdout"), "truncated")) ? " (truncated)" : "");
	v = check_log(run, "stderr.log", str(m, "stderr.sha256"), size, sizeof(size));
	printf("stderr.log  %s, %s\n", size, v);
	if (str(m, "terminal.recording.sha256")) {
		v = check_log(run, "session.cast", str(m, "terminal.recording.sha256"), size,
			      sizeof(size));
		printf("session     session.cast %s, %s%s (calyx run replay %s)\n", size, v,
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
			       cJSON_GetObjectItemCaseSensitive(m, "terminal"), "recording"), "input"))
		       ? ", keystrokes recorded" : "", run);
	}
	stage_show(run, m);
	printf("audit       records %.0f..%.0f (calyx audit show --run %s)\n",
	       num(m, "audit.first_seq", 0), num(m, "audit.last_seq", 0), run);
	printf("directory   %s/%s\n", calyx_paths.runs, run);
}

static int run_show(struct cx *cx, int argc, char **argv)
{
	_cleanup_cjson_ cJSON *m = NULL;
	struct calyx_err err = { 0 };
	const char *run = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (!run)
			run = argv[i];
		else
			return cx_usage(syn_show, "unexpected argument \"%s\"", argv[i]);
	}
	if (!run)
		return cx_usage(syn_show, "which run?");
	if (!run_id_valid(run))
		return cx_errorf("\"%s\" is not a run id (RUN-YYYYMMDD-HHMMSS-hex)", run);
	m = load_meta(run, &err);
	if (!m)
		return cx_fail(&err, EXIT_ERR);
	if (cx->json) {
		_cleanup_buf_ struct buf b = { 0 };

		canon_write(m, &b);
		printf("%s\n", b.data);
		return EXIT_OK;
	}
	show_human(run, m);
	return EXIT_OK;
}

/* A run is old when its meta.json (or, without one, its directory) is. */
static int64_t run_age(const char *run, int64_t now, bool *has_meta)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/meta.json", calyx_paths.runs, run);
	*has_meta = lstat(p, &st) == 0;
	if (!*has_meta) {
		snprintf(p, sizeof(p), "%s/%s", calyx_paths.runs, run);
		if (lstat(p, &st) < 0)
			return 0;
	}
	return now - st.st_mtime;
}

/* Remove the files leasexec writes, then the directory; anything else stays. */
static int remove_run(const char *run)
{
	static const char *const files[] = { "stdout.log", "stderr.log", "exit_code.txt",
					     "timeline.jsonl", "meta.json", "session.cast" };
	char p[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	int r;

	snprintf(p, sizeof(p), "%s/%s", calyx_paths.runs, run);
	dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (unlinkat(dfd, files[i], 0) < 0 && errno != ENOENT)
			return -errno;
	/* its stage and rollback pack: prune_due kept them unless they may go */
	if ((r = stage_prune_trees(dfd)) < 0)
		return r;
	return rmdir(p) < 0 ? -errno : 0;
}

static bool prune_due(const struct policy *pol, const char *run, size_t left, int64_t now)
{
	bool has_meta;
	int64_t age = run_age(run, now, &has_meta);

	/* a run without meta.json may still be running: keep it for two days */
	if (!has_meta && age < 2 * 86400)
		return false;
	return age > pol->retention_age || (int64_t)left > pol->retention_runs;
}

static int run_prune(struct cx *cx, int argc, char **argv)
{
	_cleanup_strv_ char **runs = NULL;
	_cleanup_cjson_ cJSON *d = cJSON_CreateObject();
	struct calyx_err err = { 0 };
	struct policy pol;
	bool dry = false, force = false;
	size_t n, removed = 0, failed = 0, kept_stage = 0;
	int64_t now = time(NULL);
	char why[96];
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else
			return cx_usage(syn_prune, "unexpected argument \"%s\"", argv[i]);
	}
	if (!dry && (r = cx_need_root(cx, "run prune")))
		return r;
	if (cx_load_policy(&pol, &err) < 0 || !(runs = list_runs(&err)))
		return cx_fail(&err, EXIT_ERR);
	n = strv_len(runs);
	for (size_t i = 0; runs[i]; i++) {
		if (!prune_due(&pol, runs[i], n - i, now))
			continue;
		/* staged changes nobody decided on, and recent rollback packs, stay */
		if (!force && stage_prune_blocked(runs[i], now, pol.retention_age, why, sizeof(why))) {
			printf("kept %s: %s (--force removes it)\n", runs[i], why);
			kept_stage++;
			continue;
		}
		if (dry) {
			printf("would remove %s\n", runs[i]);
			removed++;
		} else if ((r = remove_run(runs[i])) < 0) {
			fprintf(stderr, "calyx: %s: cannot remove: %s\n", runs[i], strerror(-r));
			failed++;
		} else {
			removed++;
		}
	}
	cJSON_AddNumberToObject(d, "removed", (double)removed);
	cJSON_AddNumberToObject(d, "kept", (double)(n - removed - failed));
	cJSON_AddNumberToObject(d, "kept_stages", (double)kept_stage);
	cJSON_AddBoolToObject(d, "forced", force);
	cJSON_AddNumberToObject(d, "max_runs", (double)pol.retention_runs);
	cJSON_AddNumberToObject(d, "max_age", (double)pol.retention_age);
	if (!dry && removed && cx_audit(cx, &pol, "exec_event.PRUNED", NULL, NULL, d) < 0)
		failed++;
	printf("%s %zu of %zu runs (retention: %lld runs, %lld days)\n",
	       dry ? "would remove" : "removed", removed, n, (long long)pol.retention_runs,
	       (long long)(pol.retention_age / 86400));
	policy_free(&pol);
	return failed ? EXIT_ERR : EXIT_OK;
}

int cmd_run(struct cx *cx, int argc, char **argv)
{
	static const struct cx_cmd cmds[] = {
		{ "list", run_list, syn_list },
		{ "show", run_show, syn_show },
		{ "report", report_run_cmd, syn_report },
		{ "prune", run_prune, syn_prune },
		{ "replay", run_replay, run_replay_synopsis },
		{ "diff", stage_diff_cmd, stage_syn_diff },
		{ "commit", stage_commit_cmd, stage_syn_commit },
		{ "rollback", stage_rollback_cmd, stage_syn_rollback },
		{ "discard", stage_discard_cmd, stage_syn_discard },
		{ 0 },
	};

	return cx_dispatch(cx, "run", cmds, argc, argv);
}
