/* SPDX-License-Identifier: ISC */
/*
 * calyx lease sign|verify|show|list|revoke.  verify prints one line per
 * check and ends with the same policy_decide() leasexec runs, so what it
 * says is what leasexec will do.
 */
#include "config.h"

#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>

#include "assess.h"
#include "calyx.h"
#include "canon.h"
#include "json.h"
#include "paths.h"
#include "runstate.h"
#include "sig.h"
#include "store.h"

static const char syn_sign[] = "  calyx lease sign ID --key FILE\n";
static const char syn_verify[] =
	"  calyx lease verify ID|FILE [--as USER] [--host HOST] [--at TIME] [--cwd DIR] [--json]\n"
	"                     [-- COMMAND [ARG]...]\n";
static const char syn_show[] = "  calyx lease show ID|FILE [--json]\n";
static const char syn_list[] = "  calyx lease list [--active] [--json]\n";
static const char syn_revoke[] = "  calyx lease revoke ID --reason TEXT\n";

/* ---- verify ------------------------------------------------------------ */

struct verifier {
	struct cx *cx;
	const char *ref;
	const char *as, *host, *at, *cwd;
	char **command;
	int64_t now;
	bool failed;
	cJSON *checks; /* --json */
	char id[40];
};

_printf_(4, 5) static void check(struct verifier *v, bool ok, const char *name,
				 const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!ok)
		v->failed = true;
	if (v->checks) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "check", name);
		cJSON_AddBoolToObject(c, "ok", ok);
		cJSON_AddStringToObject(c, "detail", text);
		cJSON_AddItemToArray(v->checks, c);
		return;
	}
	printf("%-6s %s: ", ok ? "ok" : "FAIL", name);
	cx_print_safe(stdout, text);
	printf("\n");
}

static void check_err(struct verifier *v, const char *name, const struct calyx_err *err)
{
	check(v, false, name, "%s%s%s", err->where, err->where[0] ? ": " : "", err->msg);
}

static const char *verdict_name(enum sig_verdict s)
{
	switch (s) {
	case SIG_COUNTED: return "counted";
	case SIG_DUPLICATE: return "valid, same key as an earlier signature: counted once";
	case SIG_UNKNOWN_KEY: return "unknown key: not counted";
	case SIG_RETIRED_KEY: return "retired or expired key: not counted";
	}
	return "?";
}

static void report_signatures(struct verifier *v, const struct sig_report *rep,
			      const struct trust *t)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct trust_key *k = trust_find(t, rep->e[i].kid);
		char name[32], roles[128] = "";

		for (size_t j = 0; k && k->roles[j]; j++)
			snprintf(roles + strlen(roles), sizeof(roles) - strlen(roles), "%s%s",
				 j ? "," : "", k->roles[j]);
		snprintf(name, sizeof(name), "signature[%zu]", i);
		check(v, true, name, "%s %s%s%s%s%s%s", rep->e[i].kid, verdict_name(rep->e[i].verdict),
		      k ? " (" : "", roles, k ? ", " : "", k ? trust_status_name(k->status) : "", k ? ")" : "");
	}
}

static int user_groups(const char *user, char ***ret)
{
	struct passwd *pw = getpwnam(user);
	gid_t g[256];
	int n = ARRAY_SIZE(g);
	char **v;

	*ret = NULL;
	if (!pw || getgrouplist(user, pw->pw_gid, g, &n) < 0)
		return -ENOENT;
	v = calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0, k = 0; v && i < n; i++) {
		struct group *gr = getgrgid(g[i]);

		if (gr && !(v[k++] = strdup(gr->gr_name)))
			break;
	}
	*ret = v;
	return v ? 0 : -ENOMEM;
}

static void verify_state(struct verifier *v, const struct lease *l, bool *revoked, int64_t *uses)
{
	struct calyx_err err = { 0 };
	struct revocations rv;
	bool ks = false;
	char reason[256];

	if (rs_revocations_load(calyx_paths.revoked, 0, &rv, &err) < 0) {
		if (geteuid() != 0 && (err.code == -EACCES || err.code == -EPERM))
			check(v, true, "revocation", "not checked: %s is root-only", calyx_paths.state);
		else
			check_err(v, "revocation", &err);
	} else {
		*revoked = rs_is_revoked(&rv, l->id);
		check(v, !*revoked, "revocation", *revoked ? "revoked: %s" : "not revoked%s",
		      *revoked ? rs_revocation(&rv, l->id)->reason : "");
		rs_revocations_free(&rv);
	}
	if (rs_uses_get(calyx_paths.uses, l->id, uses, &err) == 0) {
		bool ok = !l->max_uses || *uses < l->max_uses;

		if (l->max_uses)
			check(v, ok, "uses", "%" PRId64 " of %" PRId64, *uses, l->max_uses);
		else
			check(v, true, "uses", "%" PRId64 " (unlimited)", *uses);
	}
	if (rs_killswitch_get(calyx_paths.killswitch, &ks, reason, sizeof(reason), &err) == 0)
		check(v, !ks, "killswitch", ks ? "on: %s" : "off%s", ks ? reason : "");
}

static void verify_facts(struct verifier *v, const struct lease *l, const struct policy *p,
			 struct request *req)
{
	char a[21], b[21];
	struct decision d;

	rfc3339_format(l->not_before, a);
	rfc3339_format(l->expires_at, b);
	check(v, req->now >= l->not_before - p->clock_skew && req->now < l->expires_at, "window",
	      "%s .. %s (%s)", a, b, req->now < l->not_before - p->clock_skew ? "not yet valid" :
	      req->now >= l->expires_at ? "expired" : "valid now");
	policy_check_lease(p, l, true, &d);
	if (d.allow)
		check(v, true, "policy", "within policy (profile %s)", d.profile->name);
	else
		check(v, false, "policy", "%s: %s", d.clause, d.reason);
}

static void verify_decide(struct verifier *v, const struct lease *l, const struct policy *p,
			  struct request *req)
{
	struct decision d;
	bool ok_host = strcmp(l->hosts[0], "*") == 0;

	char hosts[256] = "";

	for (size_t i = 0; l->hosts[i]; i++) {
		ok_host |= strcmp(l->hosts[i], req->host) == 0;
		snprintf(hosts + strlen(hosts), sizeof(hosts) - strlen(hosts), "%s%s", i ? " " : "",
			 l->hosts[i]);
	}
	if (ok_host)
		check(v, true, "host", "%s", req->host);
	else
		check(v, false, "host", "valid on %s, not on %s", hosts, req->host);
	if (req->user)
		check(v, strcmp(l->subject, req->user) == 0, "subject", "%s%s%s%s", l->subject,
		      strcmp(l->subject, req->user) ? " (not " : "",
		      strcmp(l->subject, req->user) ? req->user : "", strcmp(l->subject, req->user) ? ")" : "");
	else
		check(v, true, "subject", "%s (not checked: use --as)", l->subject);
	if (!v->command)
		return;
	if (!req->user) {
		check(v, true, "decision", "not checked: use --as USER to decide for a caller");
		return;
	}
	req->argv0 = v->command[0];
	req->args = v->command + 1;
	policy_decide(l, req, p, &d);
	if (d.allow)
		check(v, true, "decision", "allow %s (commands[%d])", d.cmd_path, d.cmd_index);
	else
		check(v, false, "decision", "deny: %s: %s", d.clause, d.reason);
}

static int verify_lease(struct verifier *v)
{
	_cleanup_buf_ struct buf doc = { 0 };
	_cleanup_strv_ char **groups = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	struct sig_report rep;
	struct trust t = { 0 };
	struct policy p = { 0 };
	struct lease l = { 0 };
	char cwd[PATH_MAX];
	struct request req = { .now = v->now };
	int rc = EXIT_ERR;

	if (cx_read_lease(v->ref, &doc, &err) < 0) {
		check_err(v, "document", &err);
		return EXIT_INVALID;
	}
	if (cx_load_trust(&t, &err) < 0 || cx_load_policy(&p, &err) < 0) {
		rc = cx_fail(&err, EXIT_ERR);
		goto out;
	}
	if (sig_verify_lease(doc.data, doc.len, &t, v->now, &vb, &rep, &err) < 0) {
		check_err(v, strcmp(err.where, "signatures") && strncmp(err.where, "signatures[", 11)
			     ? "document" : "signatures", &err);
		rc = EXIT_INVALID;
		goto out;
	}
	check(v, true, "document", "%zu bytes, canonical body", doc.len);
	report_signatures(v, &rep, &t);
	if (lease_from_verified(vb, &l, &err) < 0) {
		check_err(v, "fields", &err);
		rc = EXIT_INVALID;
		goto out;
	}
	snprintf(v->id, sizeof(v->id), "%s", l.id);
	check(v, true, "signatures", "%zu trusted key%s", l.n_signers, l.n_signers == 1 ? "" : "s");
	req.host = v->host ? v->host : v->cx->host;
	req.user = v->as ? v->as : (v->cx->uid == 0 ? NULL : v->cx->user);
	if (req.user)
		user_groups(req.user, &groups);
	req.groups = groups;
	req.cwd = v->cwd ? v->cwd : getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	req.home = NULL;
	if (req.user) {
		struct passwd *pw = getpwnam(req.user);

		req.home = pw ? pw->pw_dir : NULL;
	}
	verify_facts(v, &l, &p, &req);
	verify_state(v, &l, &req.revoked, &req.uses);
	verify_decide(v, &l, &p, &req);
	rc = v->failed ? EXIT_INVALID : EXIT_OK;
out:
	lease_free(&l);
	verified_body_free(vb);
	policy_free(&p);
	trust_free(&t);
	return rc;
}

static int lease_verify(struct cx *cx, int argc, char **argv)
{
	static const char *const with_arg[] = { "--as", "--host", "--at", "--cwd", NULL };
	const char **slot[] = { NULL, NULL, NULL, NULL };
	struct verifier v = { .cx = cx };
	int i, rc;

	slot[0] = &v.as;
	slot[1] = &v.host;
	slot[2] = &v.at;
	slot[3] = &v.cwd;
	/* options may come before or after the lease; "--" starts the command */
	for (i = 1; i < argc; i++) {
		size_t k;

		if (strcmp(argv[i], "--") == 0) {
			v.command = argv[i + 1] ? argv + i + 1 : NULL;
			break;
		}
		if (strcmp(argv[i], "--json") == 0) {
			cx->json = true;
			continue;
		}
		for (k = 0; with_arg[k] && strcmp(argv[i], with_arg[k]) != 0; k++)
			;
		if (with_arg[k]) {
			if (i + 1 >= argc)
				return cx_usage(syn_verify, "%s needs a value", argv[i]);
			*slot[k] = argv[++i];
		} else if (argv[i][0] == '-' || v.ref) {
			return cx_usage(syn_verify, "unexpected argument \"%s\"", argv[i]);
		} else {
			v.ref = argv[i];
		}
	}
	if (!v.ref)
		return cx_usage(syn_verify, "which lease?");
	v.now = time(NULL);
	if (v.at && rfc3339_parse(v.at, &v.now) < 0)
		return cx_usage(syn_verify, "--at wants YYYY-MM-DDTHH:MM:SSZ, not \"%s\"", v.at);
	if (cx->json)
		v.checks = cJSON_CreateArray();
	rc = verify_lease(&v);
	if (cx->json) {
		_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
		_cleanup_buf_ struct buf b = { 0 };

		cJSON_AddStringToObject(o, "lease", v.id[0] ? v.id : v.ref);
		cJSON_AddBoolToObject(o, "valid", rc == EXIT_OK);
		cJSON_AddItemToObject(o, "checks", v.checks);
		canon_write(o, &b);
		printf("%s\n", b.data);
	} else if (rc == EXIT_OK) {
		printf("%-6s %s\n", "valid", v.id);
	}
	return rc;
}

/* ---- show / list ---------------------------------------------------- */

static const char *lease_status(const struct lease *l, int64_t now, bool revoked, int64_t uses)
{
	if (revoked)
		return "revoked";
	if (now >= l->expires_at)
		return "expired";
	if (now < l->not_before)
		return "pending";
	if (l->max_uses && uses >= l->max_uses)
		return "used-up";
	return "active";
}

struct loaded {
	struct trust t;
	struct lease l;
	struct verified_body *vb;
	const char *status;
	int64_t uses;
};

static int load_verified(const char *ref, struct loaded *ld, const struct revocations *rv,
			 struct calyx_err *err)
{
	_cleanup_buf_ struct buf doc = { 0 };
	int64_t now = time(NULL);
	int r;

	memset(&ld->l, 0, sizeof(ld->l));
	ld->vb = NULL;
	if ((r = cx_read_lease(ref, &doc, err)) < 0 ||
	    (r = sig_verify_lease(doc.data, doc.len, &ld->t, now, &ld->vb, NULL, err)) < 0 ||
	    (r = lease_from_verified(ld->vb, &ld->l, err)) < 0)
		return r;
	ld->uses = 0;
	rs_uses_get(calyx_paths.uses, ld->l.id, &ld->uses, NULL);
	ld->status = lease_status(&ld->l, now, rv && rs_is_revoked(rv, ld->l.id), ld->uses);
	return 0;
}

static void loaded_free(struct loaded *ld)
{
	lease_free(&ld->l);
	verified_body_free(ld->vb);
	ld->vb = NULL;
}

static void print_list(const char *label, char *const *v)
{
	if (!v || !v[0])
		return;
	printf("%-10s", label);
	for (; *v; v++) {
		putchar(' ');
		cx_print_safe(stdout, *v);
	}
	putchar('\n');
}

static void show_commands(const struct lease *l)
{
	for (size_t i = 0; i < l->n_cmds; i++) {
		char hex[65];

		printf("%-10s %s", i ? "" : "commands", l->cmds[i].path);
		if (!l->cmds[i].args)
			printf(" [any arguments]");
		for (size_t j = 0; l->cmds[i].args && l->cmds[i].args[j]; j++) {
			putchar(' ');
			cx_print_safe(stdout, l->cmds[i].args[j]);
		}
		if (l->cmds[i].pinned) {
			sig_hex(l->cmds[i].sha256, 32, hex);
			printf("  sha256 %.16s…", hex);
		}
		putchar('\n');
	}
}

static void show_limits(const struct lease *l)
{
	char v[32];

	if (!l->limits.set)
		return;
	printf("%-10s", "limits");
	for (int i = 0; i < LIM__MAX; i++) {
		if (!(l->limits.set & (1u << i)))
			continue;
		limit_format(i, l->limits.v[i], v, sizeof(v));
		printf(" %s=%s", limit_name(i), v);
	}
	putchar('\n');
}

static void show_assess(const struct lease *l)
{
	if (!l->assess_max_set && !l->assess_override)
		return;
	printf("%-10s", "assess");
	if (l->assess_max_set)
		printf(" max=%s", assess_level_name((enum assess_level)l->assess_max));
	if (l->assess_override)
		printf(" override=allowed");
	putchar('\n');
}

static void show_human(const struct loaded *ld)
{
	const struct lease *l = &ld->l;
	char a[21], b[21], rule[80];

	rfc3339_format(l->not_before, a);
	rfc3339_format(l->expires_at, b);
	printf("%-10s %s\n%-10s %s\n", "lease", l->id, "status", ld->status);
	if (l->intent)
		printf("%-10s %s\n", "intent", l->intent);
	printf("%-10s %s\n%-10s %s%s%s\n", "subject", l->subject, "run as",
	       l->run_as_user ? l->run_as_user : l->subject, l->run_as_group ? ":" : "",
	       l->run_as_group ? l->run_as_group : "");
	print_list("caps", l->caps);
	print_list("hosts", l->hosts);
	printf("%-10s %s .. %s\n", "window", a, b);
	show_commands(l);
	print_list("cwd", l->cwd);
	print_list("read", l->ro);
	print_list("write", l->rw);
	print_list("exec", l->exec);
	print_list("env allow", l->env_allow);
	print_list("env set", l->env_set);
	show_limits(l);
	show_assess(l);
	printf("%-10s %s", "network", net_mode_name(l->net));
	for (size_t i = 0; i < l->n_allow; i++) {
		net_rule_format(&l->allow[i], rule, sizeof(rule));
		printf(" %s", rule);
	}
	printf("\n%-10s %" PRId64 " of ", "uses", ld->uses);
	l->max_uses ? printf("%" PRId64 "\n", l->max_uses) : printf("unlimited\n");
	printf("%-10s %s\n%-10s %s\n%-10s %s\n", "profile", l->profile ? l->profile : "(default)",
	       "capture", l->capture ? "yes" : "no", "expiry",
	       l->expiry == EXPIRY_KILL ? "kill" : "finish");
	printf("%-10s %s\n", "exec", l->exec_mode ? exec_mode_name(l->exec_mode) : "(policy default)");
	for (size_t i = 0; i < l->n_signers; i++)
		printf("%-10s %s%s\n", i ? "" : "signed by", l->signers[i].kid,
		       strcmp(l->signers[i].kid, l->issuer) == 0 ? " (issuer)" : "");
}

static int load_revocations(struct revocations *rv)
{
	return rs_revocations_load(calyx_paths.revoked, 0, rv, NULL) < 0 ? -1 : 0;
}

static int lease_show(struct cx *cx, int argc, char **argv)
{
	struct calyx_err err = { 0 };
	struct revocations rv = { 0 };
	struct loaded ld = { 0 };
	const char *ref = NULL;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else if (!ref)
			ref = argv[i];
		else
			return cx_usage(syn_show, "unexpected argument \"%s\"", argv[i]);
	}
	if (!ref)
		return cx_usage(syn_show, "which lease?");
	if (cx_load_trust(&ld.t, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	load_revocations(&rv);
	if (load_verified(ref, &ld, &rv, &err) < 0) {
		rc = cx_fail(&err, EXIT_INVALID);
	} else if (cx->json) {
		_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
		_cleanup_buf_ struct buf b = { 0 };

		cJSON_AddStringToObject(o, "status", ld.status);
		cJSON_AddNumberToObject(o, "uses", (double)ld.uses);
		cJSON_AddItemToObject(o, "lease", cJSON_Duplicate(verified_body_json(ld.vb), 1));
		canon_write(o, &b);
		printf("%s\n", b.data);
	} else {
		show_human(&ld);
	}
	loaded_free(&ld);
	trust_free(&ld.t);
	rs_revocations_free(&rv);
	return rc;
}

static void list_row(struct cx *cx, const struct loaded *ld, cJSON *arr)
{
	const struct lease *l = &ld->l;
	char b[21];

	rfc3339_format(l->expires_at, b);
	if (arr) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", l->id);
		cJSON_AddStringToObject(o, "subject", l->subject);
		cJSON_AddStringToObject(o, "run_as", l->run_as_user ? l->run_as_user : l->subject);
		cJSON_AddStringToObject(o, "status", ld->status);
		cJSON_AddStringToObject(o, "expires_at", b);
		cJSON_AddNumberToObject(o, "uses", (double)ld->uses);
		cJSON_AddStringToObject(o, "command", l->cmds[0].path);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%-27s %-12s %-12s %-8s %-20s %5" PRId64 "  %s%s\n", l->id, l->subject,
	       l->run_as_user ? l->run_as_user : l->subject, ld->status, b, ld->uses,
	       l->cmds[0].path, l->n_cmds > 1 ? " …" : "");
}

static int lease_list(struct cx *cx, int argc, char **argv)
{
	_cleanup_strv_ char **ids = NULL;
	_cleanup_cjson_ cJSON *arr = NULL;
	struct calyx_err err = { 0 };
	struct revocations rv = { 0 };
	struct loaded ld = { 0 };
	bool active = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--active") == 0)
			active = true;
		else if (strcmp(argv[i], "--json") == 0)
			cx->json = true;
		else
			return cx_usage(syn_list, "unexpected argument \"%s\"", argv[i]);
	}
	if (cx_load_trust(&ld.t, &err) < 0 || store_list(calyx_paths.leases, &ids, &err) < 0)
		return cx_fail(&err, EXIT_ERR);
	load_revocations(&rv);
	if (cx->json)
		arr = cJSON_CreateArray();
	else
		printf("%-27s %-12s %-12s %-8s %-20s %5s  %s\n", "LEASE", "SUBJECT", "RUN AS",
		       "STATUS", "EXPIRES", "USES", "COMMAND");
	for (size_t i = 0; ids[i]; i++) {
		struct calyx_err e2 = { 0 };

		if (load_verified(ids[i], &ld, &rv, &e2) < 0) {
			if (!active && !arr)
				printf("%-27s INVALID: %s\n", ids[i], e2.msg);
		} else if (!active || strcmp(ld.status, "active") == 0) {
			list_row(cx, &ld, arr);
		}
		loaded_free(&ld);
	}
	if (arr) {
		_cleanup_buf_ struct buf b = { 0 };

		canon_write(arr, &b);
		printf("%s\n", b.data);
	}
	trust_free(&ld.t);
	rs_revocations_free(&rv);
	return EXIT_OK;
}

/* ---- sign / revoke ------------------------------------------------------ */

static int lease_sign(struct cx *cx, int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' }, { 0 } };
	_cleanup_buf_ struct buf doc = { 0 }, out = { 0 };
	_cleanup_cjson_ cJSON *details = NULL;
	struct json_doc parsed = { 0 };
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	const struct trust_key *k;
	struct trust t = { 0 };
	const char *key = NULL, *id;
	uint8_t sk[SIG_SK_BYTES];
	char kid[25];
	int c, rc = EXIT_ERR;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return cx_usage(syn_sign, NULL);
		key = optarg;
	}
	if (optind != argc - 1 || !key)
		return cx_usage(syn_sign, "needs a lease id and --key FILE");
	id = argv[optind];
	if ((rc = cx_need_root(cx, "lease sign")))
		return rc;
	rc = EXIT_ERR;
	if (cx_load_trust(&t, &err) < 0 || store_read(calyx_paths.leases, id, &doc, &err) < 0 ||
	    sig_key_load(key, sk, kid, &err) < 0)
		goto fail;
	if (sig_verify_lease(doc.data, doc.len, &t, time(NULL), &vb, NULL, &err) < 0) {
		rc = EXIT_INVALID;
		goto fail;
	}
	k = trust_find(&t, kid);
	if (!k || !trust_key_usable(k, time(NULL))) {
		err_set(&err, EPERM, kid, "this key is %s: its signature would not count",
			k ? "retired or outside its validity" : "not in the trust store");
		err_hint(&err, "calyx key generate --role ROLE --out FILE makes a trusted key");
		goto fail;
	}
	for (size_t i = 0; i < verified_body_nsigners(vb); i++)
		if (strcmp(verified_body_signer(vb, i)->kid, kid) == 0) {
			err_set(&err, EEXIST, id, "already signed by %s", kid);
			goto fail;
		}
	json_parse_strict(doc.data, doc.len, JSON_MAX_SIZE, "lease", &parsed, &err);
	if (!parsed.root || lease_doc_build(verified_body_json(vb), json_member(parsed.root,
			    "signatures"), sk, kid, &out) < 0 ||
	    store_replace(calyx_paths.leases, id, &out, &err) < 0)
		goto fail;
	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "kid", kid);
	if (cx_audit(cx, NULL, "lease_event.SIGNED", id, NULL, details) < 0)
		goto out;
	printf("%s signed by %s\n", id, kid);
	rc = EXIT_OK;
	goto out;
fail:
	rc = cx_fail(&err, rc);
out:
	sig_wipe(sk, sizeof(sk));
	json_doc_free(&parsed);
	verified_body_free(vb);
	trust_free(&t);
	return rc;
}

static int lease_revoke(struct cx *cx, int argc, char **argv)
{
	static const struct option opts[] = { { "reason", required_argument, NULL, 'r' }, { 0 } };
	_cleanup_cjson_ cJSON *details = NULL;
	_cleanup_buf_ struct buf doc = { 0 };
	struct calyx_err err = { 0 };
	const char *reason = NULL, *id;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return cx_usage(syn_revoke, NULL);
		reason = optarg;
	}
	if (optind != argc - 1 || !reason || !reason[0])
		return cx_usage(syn_revoke, "needs a lease id and --reason TEXT");
	id = argv[optind];
	if (!lease_id_valid(id))
		return cx_errorf("\"%s\" is not a lease id", id);
	if ((r = cx_need_root(cx, "lease revoke")))
		return r;
	if (store_read(calyx_paths.leases, id, &doc, &err) < 0 && !cx->quiet)
		fprintf(stderr, "calyx: note: %s is not in this host's store; revoking it anyway\n", id);
	r = rs_revoke(calyx_paths.revoked, id, reason, cx->user, time(NULL), &err);
	if (r < 0)
		return cx_fail(&err, EXIT_ERR);
	if (r == 1) {
		printf("%s was already revoked\n", id);
		return EXIT_OK;
	}
	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "reason", reason);
	if (cx_audit(cx, NULL, "lease_event.REVOKED", id, NULL, details) < 0)
		return EXIT_ERR;
	printf("%s revoked; its running runs are killed within a second\n", id);
	return EXIT_OK;
}

int cmd_lease(struct cx *cx, int argc, char **argv)
{
	struct cx_cmd cmds[] = {
		{ "issue", lease_issue, lease_issue_synopsis() },
		{ "sign", lease_sign, syn_sign },
		{ "verify", lease_verify, syn_verify },
		{ "show", lease_show, syn_show },
		{ "list", lease_list, syn_list },
		{ "revoke", lease_revoke, syn_revoke },
		{ 0 },
	};

	return cx_dispatch(cx, "lease", cmds, argc, argv);
}
