/* SPDX-License-Identifier: ISC */
/*
 * report_cmds: the command lines of `calyx run report` and `calyx report`
 * (see report.h for the reports themselves).  An HTML file is written
 * whole to a temporary name next to it and renamed, mode 0640: a report
 * names commands and paths of other users' runs.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "calyx.h"
#include "canon.h"
#include "report.h"

static const char syn_run[] = "  calyx run report RUN [--json] [--html FILE]\n";
static const char syn_host[] =
	"  calyx report [--since DURATION] [--lease ID] [--json] [--html FILE]\n";

static int write_html(const char *path, const struct buf *b)
{
	char tmp[4096];
	_cleanup_close_ int fd = -1;

	if (strcmp(path, "-") == 0)
		return write_all(1, b->data, b->len);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write_all(fd, b->data, b->len) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

static int emit(struct cx *cx, const cJSON *m, const char *html,
		int (*to_html)(const cJSON *, struct buf *), void (*to_text)(FILE *, const cJSON *))
{
	_cleanup_buf_ struct buf b = { 0 };
	int e;

	if (html) {
		if (to_html(m, &b) < 0)
			return cx_errorf("out of memory");
		if ((e = write_html(html, &b)) < 0)
			return cx_errorf("%s: cannot write: %s", html, strerror(-e));
		if (!cx->quiet && strcmp(html, "-") != 0)
			fprintf(stderr, "calyx: report written to %s\n", html);
		return EXIT_OK;
	}
	if (cx->json) {
		if (canon_write(m, &b) < 0)
			return cx_errorf("cannot serialise the report");
		printf("%s\n", b.data);
		return EXIT_OK;
	}
	to_text(stdout, m);
	return EXIT_OK;
}

int report_run_cmd(struct cx *cx, int argc, char **argv)
{
	_cleanup_cjson_ cJSON *m = NULL;
	struct calyx_err err = { 0 };
	struct report_src src;
	const char *run = NULL, *html = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html = argv[++i];
		else if (!run && argv[i][0] != '-')
			run = argv[i];
		else
			return cx_usage(syn_run, "unexpected argument \"%s\"", argv[i]);
	}
	if (!run)
		return cx_usage(syn_run, "which run?");
	if (!run_id_valid(run))
		return cx_errorf("\"%s\" is not a run id (RUN-YYYYMMDD-HHMMSS-hex)", run);
	report_src_default(&src);
	if (!(m = report_run_build(&src, run, &err)))
		return cx_fail(&err, EXIT_ERR);
	return emit(cx, m, html, report_run_html, report_run_text);
}

static int parse_host(int argc, char **argv, struct report_filter *f, const char **html,
		      bool *json)
{
	int64_t d;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			*json = true;
		} else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc) {
			*html = argv[++i];
		} else if (strcmp(argv[i], "--lease") == 0 && i + 1 < argc) {
			f->lease = argv[++i];
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (parse_duration(argv[++i], &d) < 0 || d <= 0)
				return cx_usage(syn_host, "--since wants a duration (90s, 5m, 1h, 2d)");
			f->since_ms = ((int64_t)time(NULL) - d) * 1000;
		} else {
			return cx_usage(syn_host, "unexpected argument \"%s\"", argv[i]);
		}
	}
	return 0;
}

int cmd_report(struct cx *cx, int argc, char **argv)
{
	_cleanup_cjson_ cJSON *m = NULL;
	struct report_filter f = { 0 };
	struct calyx_err err = { 0 };
	struct report_src src;
	const char *html = NULL;
	int r;

	if (cx_is_help(argc, argv)) {
		printf("usage:\n%s", syn_host);
		return EXIT_OK;
	}
	if ((r = parse_host(argc, argv, &f, &html, &cx->json)))
		return r;
	report_src_default(&src);
	if (!(m = report_host_build(&src, &f, &err)))
		return cx_fail(&err, EXIT_ERR);
	return emit(cx, m, html, report_host_html, report_host_text);
}
