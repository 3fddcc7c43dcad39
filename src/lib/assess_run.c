/* SPDX-License-Identifier: ISC */
/*
 * assess_run: runs the assessors a policy names over one request: every
 * argv element, every environment value that will pass, the command itself
 * when it is a script, and the script arguments of known interpreters.
 * Code files are opened through e->open_code (leasexec reads them with the
 * caller's permissions), bounded by pol->max_file.  Shared by leasexec and
 * `calyx assess`, so both say the same thing about the same request.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "assess.h"

static bool on(const struct assess_env *e, enum assessor a)
{
	return e->pol->assessors & (1u << a);
}

static bool wants_danger(enum assess_lang lang, const char *interp)
{
	const char *b = interp ? strrchr(interp, '/') : NULL;

	b = b ? b + 1 : interp;
	return lang == ALANG_SHELL || (b && (strcmp(b, "make") == 0 || strcmp(b, "gmake") == 0));
}

int assess_file(const struct assess_env *e, const char *name, const char *data, size_t len,
		const char *interp, struct assess_report *r, struct assess_stats *st)
{
	struct assess_text t = { .src = ASRC_FILE, .name = name, .data = data, .len = len };
	enum assess_lang lang = assess_lang_of(interp, data, len);
	int rc = 0;

	r->rule_level = e->pol->rule_level;
	if (on(e, AX_SECRETS))
		assess_secrets(&t, r);
	if (on(e, AX_DANGER) && wants_danger(lang, interp))
		assess_danger_text(&t, &e->ctx, r);
	if (lang == ALANG_SHELL && on(e, AX_SHELLCHECK))
		rc = assess_external(e, AX_SHELLCHECK, name, data, len, r, st);
	if (rc == 0 && lang == ALANG_PYTHON && on(e, AX_BANDIT))
		rc = assess_external(e, AX_BANDIT, name, data, len, r, st);
	return rc;
}

/* Read a code file bounded; too large or unreadable is on_error, missing is nothing. */
static int read_code(const struct assess_env *e, int fd, const char *name, struct buf *b,
		     struct assess_report *r)
{
	struct stat s;
	int rc;

	if (fstat(fd, &s) < 0 || !S_ISREG(s.st_mode)) {
		assess_add(r, e->pol->on_error, "assess", "unreadable", name, NULL, 0);
		return -EINVAL;
	}
	if ((uint64_t)s.st_size > e->pol->max_file) {
		assess_add(r, e->pol->on_error, "assess", "too-large", name, NULL, 0);
		return -EFBIG;
	}
	rc = read_fd_bounded(fd, (size_t)e->pol->max_file, b);
	if (rc < 0)
		assess_add(r, e->pol->on_error, "assess",
			   rc == -EFBIG ? "too-large" : "unreadable", name, NULL, 0);
	return rc;
}

static int code_path(const struct assess_env *e, const struct assess_input *in, const char *arg,
		     const char *interp, struct assess_report *r, struct assess_stats *st)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s%s%s", arg[0] == '/' ? "" : in->cwd,
		     arg[0] == '/' ? "" : "/", arg) >= (int)sizeof(path))
		return 0;
	fd = e->open_code(e->open_ctx, path);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0; /* the interpreter will say so; nothing to run */
	if (fd < 0) {
		assess_add(r, e->pol->on_error, "assess", "unreadable", path, NULL, 0);
		return 0;
	}
	if (read_code(e, fd, path, &b, r) < 0)
		return 0;
	return assess_file(e, path, b.data ? b.data : "", b.len, interp, r, st);
}

static void scan_env(const struct assess_env *e, char *const *envp, struct assess_report *r)
{
	for (size_t i = 0; envp && envp[i]; i++) {
		char name[160];
		struct assess_text t = { .src = ASRC_ENV, .name = name, .data = envp[i],
					 .len = strlen(envp[i]) };

		snprintf(name, sizeof(name), "env %.*s", (int)strcspn(envp[i], "="), envp[i]);
		assess_secrets(&t, r);
	}
}

static void scan_argv(const struct assess_env *e, char *const *argv, struct assess_report *r)
{
	for (size_t i = 0; argv && argv[i]; i++) {
		char name[32];
		struct assess_text t = { .src = ASRC_ARGV, .name = name, .data = argv[i],
					 .len = strlen(argv[i]) };

		snprintf(name, sizeof(name), "argv[%zu]", i);
		if (on(e, AX_SECRETS))
			assess_secrets(&t, r);
	}
	if (on(e, AX_DANGER))
		assess_danger_argv(argv, &e->ctx, r);
}

static int scan_script(const struct assess_env *e, const struct assess_input *in,
		       struct assess_report *r, struct assess_stats *st)
{
	_cleanup_buf_ struct buf b = { 0 };
	const char *name = in->exe ? in->exe : in->argv[0];
	int fd;

	if (in->script_fd < 0)
		return 0;
	/* the fd the child will exec: read it from the start, leave its offset alone */
	fd = fcntl(in->script_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		if (fd >= 0)
			close(fd);
		assess_add(r, e->pol->on_error, "assess", "unreadable", name, NULL, 0);
		return 0;
	}
	if (read_code(e, fd, name, &b, r) < 0) {
		close(fd);
		return 0;
	}
	close(fd);
	return assess_file(e, name, b.data ? b.data : "", b.len, NULL, r, st);
}

int assess_request(const struct assess_env *e, const struct assess_input *in,
		   struct assess_report *r, struct assess_stats *st)
{
	const char *code[8], *inl[4];
	size_t n_inl, n;
	int rc;

	r->rule_level = e->pol->rule_level;
	scan_argv(e, in->argv, r);
	if (on(e, AX_SECRETS))
		scan_env(e, in->envp, r);
	if ((rc = scan_script(e, in, r, st)) < 0)
		return rc;
	n = assess_code_args(in->argv, code, ARRAY_SIZE(code), inl, ARRAY_SIZE(inl), &n_inl);
	for (size_t i = 0; i < n && e->open_code; i++)
		if ((rc = code_path(e, in, code[i], in->argv[0], r, st)) < 0)
			return rc;
	return 0;
}
