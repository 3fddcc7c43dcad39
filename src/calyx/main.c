/* SPDX-License-Identifier: ISC */
/*
 * calyx: entry point, subcommand dispatch and the helpers they share.
 * Every message starts with "calyx:"; a fixable problem gets a "hint:" line.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "calyx.h"
#include "fsutil.h"
#include "paths.h"
#include "sig.h"
#include "store.h"

static const char synopsis[] =
	"usage: calyx [--json] [-q] COMMAND ...\n"
	"\n"
	"  init [--invoker USER]... [--force-policy]   set up directories, policy and keys\n"
	"  key generate|rotate|retire|list             manage signing keys\n"
	"  lease issue|sign|verify|show|list|revoke    manage leases\n"
	"  audit verify|show                           check and read the audit trail\n"
	"  run list|show|report|replay                 artifacts of past runs, one run's report, replays\n"
	"  report [--since DUR] [--lease ID]           the host's runs over a period\n"
	"  policy check [FILE]                         check a policy as leasexec reads it\n"
	"  assess FILE | -- COMMAND [ARG]...           the pre-exec risk assessment, standalone\n"
	"  killswitch on|off|status                    stop every run, refuse new ones\n"
	"  sentinel status                             the eBPF sentinel and live runs\n"
	"  version                                     print the version\n"
	"\n"
	"calyx COMMAND --help shows the synopsis of each command.  See calyx(8).\n";

int cx_fail(const struct calyx_err *err, int code)
{
	fprintf(stderr, "calyx: ");
	if (err->where[0])
		fprintf(stderr, "%s: ", err->where);
	fprintf(stderr, "%s\n", err->msg[0] ? err->msg : strerror(-err->code));
	if (err->hint[0])
		fprintf(stderr, "hint: %s\n", err->hint);
	return code;
}

int cx_usage(const char *syn, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "calyx: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(syn, stderr);
	return EXIT_USAGE;
}

int cx_errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "calyx: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERR;
}

int cx_need_root(const struct cx *cx, const char *what)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "calyx: %s needs root (keys, store and logs are root-only)\n", what);
	return EXIT_ERR;
}

bool cx_is_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int cx_dispatch(struct cx *cx, const char *group, const struct cx_cmd *cmds, int argc,
		char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage:\n");
		for (const struct cx_cmd *c = cmds; c->name; c++)
			printf("%s", c->synopsis);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct cx_cmd *c = cmds; c->name; c++) {
		if (strcmp(argv[1], c->name) != 0)
			continue;
		if (cx_is_help(argc - 1, argv + 1)) {
			printf("usage:\n%s", c->synopsis);
			return EXIT_OK;
		}
		optind = 1;
		return c->run(cx, argc - 1, argv + 1);
	}
	fprintf(stderr, "calyx: %s: unknown command \"", group);
	cx_print_safe(stderr, argv[1]);
	fprintf(stderr, "\"\n");
	return EXIT_USAGE;
}

void cx_print_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!str_valid_utf8(s, strlen(s))) {
		for (; *p; p++)
			fprintf(f, *p >= 0x20 && *p < 0x7f && *p != '\\' ? "%c" : "\\x%02x", *p);
		return;
	}
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

int cx_load_policy(struct policy *p, struct calyx_err *err)
{
	int r = policy_load(calyx_paths.policy, 0, p, err);

	if (r == -ENOENT)
		err_hint(err, "run `calyx init` first");
	return r;
}

int cx_load_trust(struct trust *t, struct calyx_err *err)
{
	int r = trust_load(calyx_paths.trust, 0, t, err);

	if (r == -ENOENT)
		err_hint(err, "run `calyx init` first");
	return r;
}

int cx_read_lease(const char *ref, struct buf *out, struct calyx_err *err)
{
	if (strchr(ref, '/') || !lease_id_valid(ref)) {
		if (!strchr(ref, '/') && strncmp(ref, "LEASE-", 6) == 0)
			return store_read(calyx_paths.leases, ref, out, err);
		return lease_file_read(AT_FDCWD, ref, out, err);
	}
	return store_read(calyx_paths.leases, ref, out, err);
}

void cx_audit_ctx(const struct cx *cx, const struct policy *p, struct audit_ctx *a)
{
	memset(a, 0, sizeof(*a));
	a->log_path = calyx_paths.audit_log;
	a->key_path = calyx_paths.audit_key;
	a->host = cx->host;
	a->uid = cx->uid;
	a->user = cx->user;
	a->seal_every = p ? p->audit_seal_every : 64;
	a->rotate_size = p ? p->audit_rotate_size : 0;
	a->syslog = p ? p->audit_syslog : true;
}

int cx_audit(const struct cx *cx, const struct policy *p, const char *type, const char *lease,
	     const char *run, const cJSON *details)
{
	struct audit_ctx a;
	struct audit_event ev = { .type = type, .lease = lease, .run = run, .details = details };
	struct calyx_err err = { 0 };
	int r;

	cx_audit_ctx(cx, p, &a);
	r = audit_append(&a, &ev, 1, true, NULL, &err);
	if (r < 0)
		cx_fail(&err, EXIT_ERR);
	return r;
}

static int cmd_version(struct cx *cx, int argc, char **argv)
{
	printf("calyx %s%s%s\n", PACKAGE_VERSION, calyx_paths.prefix_tag[0] ? " " : "",
	       calyx_paths.prefix_tag);
	printf("configuration: %s\nstate: %s\naudit log: %s\n", calyx_paths.etc, calyx_paths.lib,
	       calyx_paths.audit_log);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(struct cx *cx, int argc, char **argv);
} commands[] = {
	{ "init", cmd_init },
	{ "audit", cmd_audit },
	{ "key", cmd_key },
	{ "lease", cmd_lease },
	{ "run", cmd_run },
	{ "report", cmd_report },
	{ "policy", cmd_policy },
	{ "assess", cmd_assess },
	{ "killswitch", cmd_killswitch },
	{ "sentinel", cmd_sentinel },
	{ "version", cmd_version },
};

static void cx_identity(struct cx *cx)
{
	struct passwd *pw;

	cx->uid = getuid();
	pw = getpwuid(cx->uid);
	snprintf(cx->user, sizeof(cx->user), "%s", pw ? pw->pw_name : "?");
	if (gethostname(cx->host, sizeof(cx->host) - 1) < 0)
		snprintf(cx->host, sizeof(cx->host), "localhost");
}

int main(int argc, char **argv)
{
	struct cx cx = { .prog = "calyx" };
	int i = 1;

	umask(022);
	if (argc < 1)
		return EXIT_USAGE;
	cx_identity(&cx);
	if (sig_init() < 0)
		return cx_errorf("cannot initialise libsodium");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx.json = true;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			cx.quiet = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(synopsis, stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			return cmd_version(&cx, 0, NULL);
		} else {
			return cx_usage(synopsis, "unknown option \"%s\"", argv[i]);
		}
	}
	if (i >= argc)
		return cx_usage(synopsis, NULL);
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(&cx, argc - i, argv + i);
	return cx_usage(synopsis, "unknown command \"%s\"", argv[i]);
}
