/* SPDX-License-Identifier: ISC */
/*
 * calyx assess: the assessors of leasexec's assess stage, standalone (for CI
 * pipelines and pre-commit hooks).  The exit status is the level: 0 LOW,
 * 1 MEDIUM, 2 HIGH, 3 BLOCKED; 4 when something could not be assessed, 64
 * usage.  Run as root it uses the policy's cache and runs external assessors
 * as the policy's assess.user; otherwise without cache, as the caller.
 * Nothing of a secret is printed but its kind, location and a hash prefix.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

#include "assess.h"
#include "calyx.h"
#include "../leasexec/priv.h"
#include "paths.h"

enum { EXIT_UNASSESSED = 4 };

static const char syn_assess[] =
	"usage: calyx assess [--json] [--policy FILE] FILE\n"
	"       calyx assess [--json] [--policy FILE] -- COMMAND [ARG]...\n"
	"       calyx assess --rules\n"
	"exit status: 0 LOW, 1 MEDIUM, 2 HIGH, 3 BLOCKED, 4 not assessed, 64 usage\n";

static int open_code(void *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	(void)ctx;
	return fd < 0 ? -errno : fd;
}

static int load_policy(const char *file, struct policy *p, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = -1;
	int r;

	if (!file) {
		r = policy_load(calyx_paths.policy, 0, p, err);
		if (r == -ENOENT) { /* no installation: the built-in assessors alone */
			memset(p, 0, sizeof(*p));
			assess_policy_defaults(&p->assess);
			p->assess.enabled = true;
			return 0;
		}
		return r;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, errno, file, "cannot open: %s", strerror(errno));
	if ((r = read_fd_bounded(fd, JSON_MAX_SIZE, &b)) < 0)
		return err_set(err, r, file, "cannot read: %s", strerror(-r));
	return policy_parse(b.data, b.len, p, err);
}

static const char *interp_by_name(const char *path)
{
	const char *b = strrchr(path, '/'), *dot;

	b = b ? b + 1 : path;
	dot = strrchr(b, '.');
	if (strcmp(b, "Makefile") == 0 || strcmp(b, "GNUmakefile") == 0 || (dot && !strcmp(dot, ".mk")))
		return "make";
	if (dot && (strcmp(dot, ".sh") == 0 || strcmp(dot, ".bash") == 0))
		return "sh";
	if (dot && strcmp(dot, ".py") == 0)
		return "python3";
	return NULL;
}

static int assess_one_file(const struct assess_env *e, const char *path,
			   struct assess_report *r, struct assess_stats *st, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	_cleanup_close_ int fd = open_code(NULL, path);
	const char *interp;
	int rc;

	if (fd < 0)
		return err_set(err, -fd, path, "cannot open: %s", strerror(-fd));
	rc = read_fd_bounded(fd, (size_t)e->pol->max_file, &b);
	if (rc < 0)
		return err_set(err, rc, path, "%s", rc == -EFBIG ? "larger than policy "
			       "assess.max_file" : strerror(-rc));
	/* a shebang decides; a name (x.sh, x.py, Makefile) when there is none */
	interp = b.len > 2 && b.data[0] == '#' && b.data[1] == '!' ? NULL : interp_by_name(path);
	return assess_file(e, path, b.data ? b.data : "", b.len, interp, r, st);
}

/* The command itself, when it is a script (found on PATH like the shell would). */
static int script_fd_of(const char *cmd)
{
	char path[PATH_MAX], magic[2];
	const char *dirs = "/usr/local/bin:/usr/bin:/bin";
	int fd = -1;

	if (strchr(cmd, '/')) {
		fd = open(cmd, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	} else {
		for (const char *d = dirs; fd < 0 && *d;) {
			size_t n = strcspn(d, ":");

			snprintf(path, sizeof(path), "%.*s/%s", (int)n, d, cmd);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			d += n + (d[n] == ':');
		}
	}
	if (fd >= 0 && (pread(fd, magic, 2, 0) != 2 || magic[0] != '#' || magic[1] != '!')) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void print_text(const struct assess_report *r, const struct assess_stats *st)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct assess_finding *f = &r->f[i];

		printf("%-7s %-11s %-26s ", assess_level_name(f->level), f->assessor, f->kind);
		cx_print_safe(stdout, f->where);
		if (f->hash8[0])
			printf("  sha256:%s…", f->hash8);
		putchar('\n');
	}
	if (r->dropped)
		printf("… and %zu more findings\n", r->dropped);
	printf("assessment: %s (%zu finding%s", assess_level_name(r->level), r->n + r->dropped,
	       r->n + r->dropped == 1 ? "" : "s");
	if (st->ext_runs || st->ext_cached)
		printf("; external: %u run, %u cached", st->ext_runs, st->ext_cached);
	printf(")\n");
}

static void print_json(const struct assess_report *r, const struct assess_stats *st)
{
	_cleanup_cjson_ cJSON *o = assess_report_json(r, ASSESS_MAX_FINDINGS);
	_cleanup_free_ char *s = NULL;
	cJSON *x = cJSON_AddObjectToObject(o, "external");

	cJSON_AddNumberToObject(x, "runs", st->ext_runs);
	cJSON_AddNumberToObject(x, "cached", st->ext_cached);
	cJSON_AddNumberToObject(x, "errors", st->ext_errors);
	s = cJSON_PrintUnformatted(o);
	if (s)
		printf("%s\n", s);
}

static int print_rules(void)
{
	for (const struct assess_rule *r = assess_rules; r->kind; r++)
		printf("%-8s %-24s %-8s %s\n", r->assessor, r->kind, assess_level_name(r->level),
		       r->what);
	return EXIT_OK;
}

static int setup_env(struct assess_env *e, const struct policy *p, struct priv_assessor *d,
		     char *cache, size_t n, struct calyx_err *err)
{
	struct passwd *pw;

	e->pol = &p->assess;
	e->ctx.never_writable = p->never_writable;
	e->ctx.protected_branches = p->assess.protected_branches;
	e->open_code = open_code;
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(p->assess.user ? p->assess.user : "nobody");
	if (!pw || pw->pw_uid == 0)
		return err_set(err, ENOENT, "policy.assess.user", "\"%s\" is not an unprivileged "
			       "user on this host", p->assess.user ? p->assess.user : "nobody");
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	e->drop = priv_drop_assessor;
	e->drop_ctx = d;
	snprintf(cache, n, "%s/assess", calyx_paths.state);
	if (access(calyx_paths.state, W_OK) == 0)
		e->cache_dir = cache;
	return 0;
}

struct assess_args {
	const char *policy_file, *file;
	char **cmd;
	bool rules;
};

/* 0, or the usage exit status. */
static int parse_args(struct cx *cx, int argc, char **argv, struct assess_args *a)
{
	for (int i = 1; i < argc && !a->cmd; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (strcmp(argv[i], "--rules") == 0)
			a->rules = true;
		else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			a->policy_file = argv[++i];
		else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !a->file)
			a->cmd = argv + i + 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cx_usage(syn_assess, "unknown option \"%s\"", argv[i]);
		else if (!a->file)
			a->file = argv[i];
		else
			return cx_usage(syn_assess, "give one FILE, or -- COMMAND ARGS");
	}
	if (!a->rules && !!a->file == !!a->cmd)
		return cx_usage(syn_assess, "give one FILE, or -- COMMAND ARGS");
	return 0;
}

static int assess_command(const struct assess_env *e, char **cmd, struct assess_report *r,
			  struct assess_stats *st, struct calyx_err *err)
{
	char cwd[PATH_MAX];
	struct assess_input in = {
		.argv = cmd, .exe = cmd[0], .script_fd = script_fd_of(cmd[0]),
		.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/",
	};
	int rc = assess_request(e, &in, r, st);

	if (in.script_fd >= 0)
		close(in.script_fd);
	return rc < 0 ? err_set(err, -rc, "assess", "%s", strerror(-rc)) : 0;
}

int cmd_assess(struct cx *cx, int argc, char **argv)
{
	_cleanup_free_ struct assess_report *r = calloc(1, sizeof(*r));
	struct assess_args a = { 0 };
	struct assess_stats st = { 0 };
	struct calyx_err err = { 0 };
	struct assess_env e = { 0 };
	struct policy p = { 0 };
	struct priv_assessor d;
	char cache[PATH_MAX];
	int rc;

	if (cx_is_help(argc, argv)) {
		fputs(syn_assess, stdout);
		return EXIT_OK;
	}
	rc = parse_args(cx, argc, argv, &a);
	if (rc || a.rules)
		return rc ? rc : print_rules();
	if (!r)
		return cx_errorf("out of memory");
	if (load_policy(a.policy_file, &p, &err) < 0)
		return cx_fail(&err, EXIT_UNASSESSED);
	if (!p.assess.enabled) { /* the policy has no assess section: the built-ins */
		assess_policy_defaults(&p.assess);
		p.assess.enabled = true;
	}
	assess_report_init(r);
	if ((rc = setup_env(&e, &p, &d, cache, sizeof(cache), &err)) == 0)
		rc = a.file ? assess_one_file(&e, a.file, r, &st, &err) :
			      assess_command(&e, a.cmd, r, &st, &err);
	policy_free(&p);
	if (rc < 0)
		return cx_fail(&err, EXIT_UNASSESSED);
	if (cx->json)
		print_json(r, &st);
	else
		print_text(r, &st);
	return (int)r->level;
}
