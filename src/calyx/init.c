/* SPDX-License-Identifier: ISC */
/*
 * calyx init: directories with the modes of DESIGN §2, the default policy,
 * the first issuer key, an empty revocation list, the audit log and its
 * initial sealing key.  Idempotent: what exists is kept (modes are fixed).
 */
#include "config.h"

#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "calyx.h"
#include "fsutil.h"
#include "json.h"
#include "paths.h"
#include "runstate.h"
#include "sig.h"

static const char syn_init[] =
	"  calyx init [--invoker USER]... [--force-policy]\n";

static int make_dirs(struct cx *cx, struct calyx_err *err)
{
	static const struct {
		const char *const *path;
		mode_t mode;
	} dirs[] = {
		{ &calyx_paths.etc, 0755 },     { &calyx_paths.keys, 0700 },
		{ &calyx_paths.lib, 0755 },     { &calyx_paths.leases, 0755 },
		{ &calyx_paths.state, 0700 },   { &calyx_paths.uses, 0700 },
		{ &calyx_paths.runs, 0755 },    { &calyx_paths.logdir, 0750 },
		{ &calyx_paths.rundir, 0755 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = mkdir_mode(*dirs[i].path, dirs[i].mode, 0, 0, err);

		if (r < 0)
			return r;
	}
	if (!cx->quiet)
		printf("directories: ok (%s, %s, %s, %s)\n", calyx_paths.etc, calyx_paths.lib,
		       calyx_paths.logdir, calyx_paths.rundir);
	return 0;
}

/* The default policy, with invokers.users replaced if any were given. */
static int policy_text(char **invokers, size_t n, struct buf *out, struct calyx_err *err)
{
	_cleanup_cjson_ cJSON *root = NULL;
	cJSON *inv, *users;
	char *s;

	if (!n)
		return buf_adds(out, policy_default_json);
	root = cJSON_Parse(policy_default_json);
	inv = cJSON_GetObjectItemCaseSensitive(root, "invokers");
	users = cJSON_CreateArray();
	if (!inv || !users)
		return err_set(err, ENOMEM, "policy", "cannot build the default policy");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(users, cJSON_CreateString(invokers[i]));
	cJSON_ReplaceItemInObjectCaseSensitive(inv, "users", users);
	s = cJSON_Print(root);
	if (!s)
		return err_set(err, ENOMEM, "policy", "out of memory");
	buf_adds(out, s);
	buf_addc(out, '\n');
	free(s);
	return 0;
}

static int write_policy(struct cx *cx, char **invokers, size_t n, bool force,
			struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	struct policy p;
	struct stat st;
	int r;

	if (!force && lstat(calyx_paths.policy, &st) == 0) {
		r = policy_load(calyx_paths.policy, 0, &p, err);
		if (r < 0)
			return r;
		policy_free(&p);
		if (!cx->quiet)
			printf("policy: kept %s%s\n", calyx_paths.policy,
			       n ? " (--invoker ignored: edit it or use --force-policy)" : "");
		return 0;
	}
	r = policy_text(invokers, n, &b, err);
	if (r < 0)
		return r;
	r = policy_parse(b.data, b.len, &p, err); /* never write one we would refuse */
	if (r < 0)
		return r;
	policy_free(&p);
	r = write_file_atomic(calyx_paths.policy, b.data, b.len, 0644, err);
	if (r == 0 && !cx->quiet)
		printf("policy: wrote %s\n", calyx_paths.policy);
	return r;
}

static int first_key(struct cx *cx, struct calyx_err *err)
{
	_cleanup_buf_ struct buf b = { 0 };
	char *roles[] = { "host", NULL }, kid[25];
	struct trust t = { 0 };
	struct stat st;
	int r;

	if (lstat(calyx_paths.trust, &st) == 0) {
		r = cx_load_trust(&t, err);
		if (r < 0)
			return r;
		if (!cx->quiet)
			printf("trust store: kept %s (%zu keys)\n", calyx_paths.trust, t.n);
		trust_free(&t);
		return 0;
	}
	if (trust_serialize(&t, &b) < 0)
		return err_set(err, ENOMEM, "trust", "out of memory");
	r = write_file_atomic(calyx_paths.trust, b.data, b.len, 0644, err);
	if (r == 0)
		r = keys_create(cx, NULL, roles, 0, &t, "key_event.GENERATED", NULL, kid, err);
	trust_free(&t);
	if (r == 0 && !cx->quiet)
		printf("issuer key: %s (role host)\n", kid);
	return r;
}

static int audit_setup(struct cx *cx, struct calyx_err *err)
{
	struct audit_ctx a;
	char key[65];
	bool created = false;
	int r;

	cx_audit_ctx(cx, NULL, &a);
	r = audit_init(&a, key, &created, err);
	if (r < 0)
		return r;
	if (cx->quiet)
		return 0;
	printf("audit log: %s\n", calyx_paths.audit_log);
	if (created) {
		printf("audit verification key (give it to your auditor, keep it off this host):\n"
		       "  %s\n", key);
		printf("  it is also in %s.initial: move that file off this host\n",
		       calyx_paths.audit_key);
	}
	return 0;
}

int cmd_init(struct cx *cx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "invoker", required_argument, NULL, 'i' },
		{ "force-policy", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *invokers[64];
	size_t n = 0;
	bool force = false;
	struct calyx_err err = { 0 };
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'i' && n < ARRAY_SIZE(invokers) && user_name_valid(optarg))
			invokers[n++] = optarg;
		else if (c == 'f')
			force = true;
		else if (c == 'h') {
			printf("usage:\n%s", syn_init);
			return EXIT_OK;
		} else
			return cx_usage(syn_init, c == 'i' ? "bad user name \"%s\"" : "bad option%s",
					c == 'i' ? optarg : "");
	}
	if (optind != argc)
		return cx_usage(syn_init, "unexpected argument \"%s\"", argv[optind]);
	if ((r = cx_need_root(cx, "init")))
		return r;
	if (make_dirs(cx, &err) < 0 || audit_setup(cx, &err) < 0 ||
	    write_policy(cx, invokers, n, force, &err) < 0 || first_key(cx, &err) < 0 ||
	    rs_revocations_init(calyx_paths.revoked, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	if (!cx->quiet)
		printf("revocation list: %s\nready.\n", calyx_paths.revoked);
	return EXIT_OK;
}
