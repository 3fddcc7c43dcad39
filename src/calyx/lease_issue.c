/* SPDX-License-Identifier: ISC */
/*
 * calyx lease issue: build a BODY from --from and flags, fill id, issuer and
 * times, sign it, and prove the result by verifying it exactly as leasexec
 * will (sig_verify_lease, lease_from_verified, policy_check_lease) before it
 * is stored.  A lease this host would refuse is never issued.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <string.h>

#include "calyx.h"
#include "canon.h"
#include "json.h"
#include "paths.h"
#include "sig.h"
#include "store.h"

static const char syn_issue[] =
	"  calyx lease issue --user USER [--host HOST]... [--run-as USER[:GROUP]] [--cap CAP]...\n"
	"                    [--cmd PATH [--args 'A B'] [--arg PATTERN]... [--sha256 HEX|auto]]...\n"
	"                    [--cwd DIR]... [--ro PATH]... [--rw PATH]... [--exec PATH]...\n"
	"                    [--stage DIR]... [--stage-limit SIZE]\n"
	"                    [--env-allow NAME]... [--env-set NAME=VALUE]...\n"
	"                    [--wall DUR] [--cpu CORES] [--memory SIZE] [--pids N] [--fsize SIZE]\n"
	"                    [--nofile N] [--disk-write SIZE] [--output SIZE]\n"
	"                    [--network none|loopback|allow|host] [--allow CIDR:PORT[-PORT]]...\n"
	"                    [--max-uses N] [--profile NAME] [--no-capture] [--expiry kill|finish]\n"
	"                    [--pty | --pty-auto] [--record-input] [--auth none|pam]\n"
	"                    [--exec-mode any|listed]\n"
	"                    [--intent ID] [--ttl DUR] [--not-before TIME|+DUR]\n"
	"                    [--assess-max LOW|MEDIUM|HIGH|BLOCKED] [--assess-override]\n"
	"                    [--from FILE] [--key FILE] [--json]\n";

enum {
	O_USER = 1000, O_HOST, O_RUN_AS, O_CAP, O_CMD, O_ARGS, O_ARG, O_SHA, O_CWD, O_RO, O_RW,
	O_EXEC, O_ENV_ALLOW, O_ENV_SET, O_LIMIT, O_NETWORK, O_ALLOW, O_MAX_USES, O_PROFILE,
	O_NO_CAPTURE, O_EXPIRY, O_INTENT, O_TTL, O_NOT_BEFORE, O_FROM, O_KEY, O_JSON, O_PTY,
	O_PTY_AUTO, O_RECORD_INPUT, O_AUTH, O_ASSESS_MAX, O_ASSESS_OVERRIDE, O_STAGE, O_STAGE_LIMIT,
	O_EXEC_MODE,
};

static const struct option issue_opts[] = {
	{ "user", required_argument, NULL, O_USER },
	{ "subject", required_argument, NULL, O_USER },
	{ "host", required_argument, NULL, O_HOST },
	{ "run-as", required_argument, NULL, O_RUN_AS },
	{ "cap", required_argument, NULL, O_CAP },
	{ "cmd", required_argument, NULL, O_CMD },
	{ "args", required_argument, NULL, O_ARGS },
	{ "arg", required_argument, NULL, O_ARG },
	{ "sha256", required_argument, NULL, O_SHA },
	{ "cwd", required_argument, NULL, O_CWD },
	{ "ro", required_argument, NULL, O_RO },
	{ "rw", required_argument, NULL, O_RW },
	{ "exec", required_argument, NULL, O_EXEC },
	{ "stage", required_argument, NULL, O_STAGE },
	{ "stage-limit", required_argument, NULL, O_STAGE_LIMIT },
	{ "env-allow", required_argument, NULL, O_ENV_ALLOW },
	{ "env-set", required_argument, NULL, O_ENV_SET },
	{ "wall", required_argument, NULL, O_LIMIT },
	{ "cpu", required_argument, NULL, O_LIMIT },
	{ "memory", required_argument, NULL, O_LIMIT },
	{ "pids", required_argument, NULL, O_LIMIT },
	{ "fsize", required_argument, NULL, O_LIMIT },
	{ "nofile", required_argument, NULL, O_LIMIT },
	{ "disk-write", required_argument, NULL, O_LIMIT },
	{ "output", required_argument, NULL, O_LIMIT },
	{ "network", required_argument, NULL, O_NETWORK },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ "max-uses", required_argument, NULL, O_MAX_USES },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "no-capture", no_argument, NULL, O_NO_CAPTURE },
	{ "expiry", required_argument, NULL, O_EXPIRY },
	{ "pty", no_argument, NULL, O_PTY },
	{ "pty-auto", no_argument, NULL, O_PTY_AUTO },
	{ "record-input", no_argument, NULL, O_RECORD_INPUT },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "exec-mode", required_argument, NULL, O_EXEC_MODE },
	{ "intent", required_argument, NULL, O_INTENT },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "not-before", required_argument, NULL, O_NOT_BEFORE },
	{ "from", required_argument, NULL, O_FROM },
	{ "key", required_argument, NULL, O_KEY },
	{ "json", no_argument, NULL, O_JSON },
	{ "assess-max", required_argument, NULL, O_ASSESS_MAX },
	{ "assess-override", no_argument, NULL, O_ASSESS_OVERRIDE },
	{ 0 },
};

struct issue {
	cJSON *body;
	const char *key_file;
	const char *ttl;
	const char *not_before;
	bool hosts_set, json;
	struct calyx_err err;
};

static cJSON *obj_child(cJSON *o, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!c)
		c = cJSON_AddObjectToObject(o, key);
	return c;
}

static cJSON *arr_child(cJSON *o, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!c)
		c = cJSON_AddArrayToObject(o, key);
	return cJSON_IsArray(c) ? c : NULL;
}

static int set_string(cJSON *o, const char *key, const char *v)
{
	cJSON *s = cJSON_CreateString(v);

	if (!s)
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(o, key, s) ? 0 : -ENOMEM;
	return cJSON_AddItemToObject(o, key, s) ? 0 : -ENOMEM;
}

static int append_string(cJSON *o, const char *key, const char *v)
{
	cJSON *a = arr_child(o, key);

	return a && cJSON_AddItemToArray(a, cJSON_CreateString(v)) ? 0 : -EINVAL;
}

static cJSON *last_cmd(struct issue *is, const char *flag)
{
	cJSON *cmds = cJSON_GetObjectItemCaseSensitive(is->body, "commands");
	int n = cJSON_GetArraySize(cmds);

	if (n <= 0) {
		err_set(&is->err, EINVAL, flag, "must follow a --cmd");
		return NULL;
	}
	return cJSON_GetArrayItem(cmds, n - 1);
}

static int opt_sha(struct issue *is, const char *v)
{
	cJSON *cmd = last_cmd(is, "--sha256");
	uint8_t h[SHA256_BYTES];
	char hex[65];
	_cleanup_close_ int fd = -1;

	if (!cmd)
		return -EINVAL;
	if (strcmp(v, "auto") != 0)
		return set_string(cmd, "sha256", v);
	fd = open(cJSON_GetObjectItemCaseSensitive(cmd, "path")->valuestring,
		  O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || sig_sha256_fd(fd, h) < 0)
		return err_set(&is->err, errno, "--sha256 auto", "cannot read %s: %s",
			       cJSON_GetObjectItemCaseSensitive(cmd, "path")->valuestring,
			       strerror(errno));
	sig_hex(h, sizeof(h), hex);
	return set_string(cmd, "sha256", hex);
}

static int opt_args(struct issue *is, const char *v, bool split)
{
	cJSON *cmd = last_cmd(is, split ? "--args" : "--arg");
	_cleanup_strv_ char **words = NULL;

	if (!cmd)
		return -EINVAL;
	if (!split)
		return append_string(cmd, "args", v);
	words = strv_split_ws(v);
	if (!words)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(cmd, "args");
	if (!arr_child(cmd, "args"))
		return -ENOMEM;
	for (size_t i = 0; words[i]; i++)
		if (append_string(cmd, "args", words[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int opt_limit(struct issue *is, const char *name, const char *v)
{
	char key[32];
	uint64_t x;
	int id;
	cJSON *lim = obj_child(is->body, "limits");

	snprintf(key, sizeof(key), "%s", name);
	for (char *p = key; *p; p++)
		if (*p == '-')
			*p = '_';
	for (id = 0; id < LIM__MAX && strcmp(limit_name(id), key) != 0; id++)
		;
	if (id == LIM__MAX || limit_parse_string(id, v, &x) < 0)
		return err_set(&is->err, EINVAL, name, "\"%s\" is not a valid %s limit", v, name);
	cJSON_DeleteItemFromObjectCaseSensitive(lim, key);
	if (strspn(v, "0123456789") == strlen(v) && id != LIM_CPU)
		return cJSON_AddNumberToObject(lim, key, (double)x) ? 0 : -ENOMEM;
	return set_string(lim, key, v);
}

static int opt_env_set(struct issue *is, const char *v)
{
	const char *eq = strchr(v, '=');
	char name[160];
	cJSON *set = obj_child(obj_child(is->body, "env"), "set");

	if (!eq || eq == v || (size_t)(eq - v) >= sizeof(name))
		return err_set(&is->err, EINVAL, "--env-set", "\"%s\" is not NAME=VALUE", v);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - v), v);
	return set_string(set, name, eq + 1);
}

static int opt_network(struct issue *is, int c, const char *v)
{
	cJSON *net = obj_child(is->body, "network");

	if (c == O_NETWORK)
		return set_string(net, "mode", v);
	if (!cJSON_GetObjectItemCaseSensitive(net, "mode") && set_string(net, "mode", "allow") < 0)
		return -ENOMEM;
	return append_string(net, "allow", v);
}

static int opt_number(struct issue *is, const char *key, const char *v)
{
	int64_t n;

	if (parse_i64(v, 1, 1000000, &n) < 0)
		return err_set(&is->err, EINVAL, key, "\"%s\" is not a number from 1 to 1000000", v);
	cJSON_DeleteItemFromObjectCaseSensitive(is->body, key);
	return cJSON_AddNumberToObject(is->body, key, (double)n) ? 0 : -ENOMEM;
}

static int apply_opt(struct issue *is, int c, const char *name, const char *v)
{
	cJSON *b = is->body;

	switch (c) {
	case O_USER: return set_string(b, "subject", v);
	case O_HOST:
		if (!is->hosts_set) {
			cJSON_DeleteItemFromObjectCaseSensitive(b, "hosts");
			is->hosts_set = true;
		}
		return append_string(b, "hosts", v);
	case O_RUN_AS: return set_string(b, "run_as", v);
	case O_CAP: return append_string(b, "caps", v);
	case O_CMD: {
		cJSON *cmd = cJSON_CreateObject();

		if (!cmd || !arr_child(b, "commands") ||
		    !cJSON_AddItemToArray(arr_child(b, "commands"), cmd))
			return -ENOMEM;
		return set_string(cmd, "path", v);
	}
	case O_ARGS: return opt_args(is, v, true);
	case O_ARG: return opt_args(is, v, false);
	case O_SHA: return opt_sha(is, v);
	case O_CWD: return append_string(b, "cwd", v);
	case O_RO: return append_string(obj_child(b, "paths"), "ro", v);
	case O_RW: return append_string(obj_child(b, "paths"), "rw", v);
	case O_EXEC: return append_string(obj_child(b, "paths"), "exec", v);
	case O_ENV_ALLOW: return append_string(obj_child(b, "env"), "allow", v);
	case O_ENV_SET: return opt_env_set(is, v);
	case O_LIMIT: return opt_limit(is, name, v);
	case O_STAGE: return append_string(obj_child(b, "paths"), "stage", v);
	case O_STAGE_LIMIT: return opt_limit(is, "stage", v);
	case O_NETWORK:
	case O_ALLOW: return opt_network(is, c, v);
	case O_MAX_USES: return opt_number(is, "max_uses", v);
	case O_PROFILE: return set_string(b, "profile", v);
	case O_NO_CAPTURE:
		cJSON_DeleteItemFromObjectCaseSensitive(b, "capture");
		return cJSON_AddFalseToObject(b, "capture") ? 0 : -ENOMEM;
	case O_EXPIRY: return set_string(b, "expiry", v);
	case O_PTY:
		cJSON_DeleteItemFromObjectCaseSensitive(b, "pty");
		return cJSON_AddTrueToObject(b, "pty") ? 0 : -ENOMEM;
	case O_PTY_AUTO: return set_string(b, "pty", "auto");
	case O_RECORD_INPUT:
		cJSON_DeleteItemFromObjectCaseSensitive(b, "record_input");
		return cJSON_AddTrueToObject(b, "record_input") ? 0 : -ENOMEM;
	case O_AUTH: return set_string(b, "auth", v);
	case O_EXEC_MODE: return set_string(b, "exec", v);
	case O_INTENT: return set_string(b, "intent", v);
	case O_ASSESS_MAX: return set_string(obj_child(b, "assess"), "max", v);
	case O_ASSESS_OVERRIDE:
		cJSON_DeleteItemFromObjectCaseSensitive(obj_child(b, "assess"), "override");
		return cJSON_AddTrueToObject(obj_child(b, "assess"), "override") ? 0 : -ENOMEM;
	default: return -EINVAL;
	}
}

static int load_from(struct issue *is, const char *path)
{
	static const char *const filled[] = { "v", "id", "issuer", "issued_at", "not_before",
					      "expires_at", NULL };
	_cleanup_buf_ struct buf b = { 0 };
	struct json_doc doc = { 0 };
	int r = lease_file_read(AT_FDCWD, path, &b, &is->err);

	if (r < 0)
		return r;
	r = json_parse_strict(b.data, b.len, JSON_MAX_SIZE, "--from", &doc, &is->err);
	if (r < 0)
		return r;
	for (size_t i = 0; filled[i]; i++) {
		if (json_member(doc.root, filled[i])) {
			json_doc_free(&doc);
			return err_set(&is->err, EINVAL, path, "%s is filled in by calyx; remove it",
				       filled[i]);
		}
	}
	cJSON_Delete(is->body);
	is->body = doc.root;
	is->hosts_set = false;
	return 0;
}

/* Two passes: --from first (it is the base), then every flag in order. */
static int parse_issue(struct issue *is, int argc, char **argv)
{
	struct {
		int c, idx;
		const char *arg;
	} seen[512];
	size_t n = 0;
	int c, idx = 0, r;

	while ((c = getopt_long(argc, argv, "", issue_opts, &idx)) != -1) {
		if (c == '?' || n == ARRAY_SIZE(seen))
			return -EINVAL;
		if (c == O_FROM && (r = load_from(is, optarg)) < 0)
			return r;
		seen[n].c = c;
		seen[n].idx = idx;
		seen[n++].arg = optarg;
	}
	if (optind != argc)
		return err_set(&is->err, EINVAL, "lease issue", "unexpected argument \"%s\"",
			       argv[optind]);
	for (size_t i = 0; i < n; i++) {
		c = seen[i].c;
		if (c == O_FROM)
			continue;
		if (c == O_KEY || c == O_TTL || c == O_NOT_BEFORE || c == O_JSON) {
			*(c == O_KEY ? &is->key_file : c == O_TTL ? &is->ttl : &is->not_before) =
				seen[i].arg;
			if (c == O_JSON)
				is->json = true;
			continue;
		}
		r = apply_opt(is, c, issue_opts[seen[i].idx].name, seen[i].arg);
		if (r < 0) {
			if (!is->err.msg[0])
				err_set(&is->err, r, issue_opts[seen[i].idx].name, "cannot apply \"%s\"",
					seen[i].arg ? seen[i].arg : "");
			return r;
		}
	}
	return 0;
}

static int fill_times(struct issue *is, const struct policy *p, int64_t now)
{
	int64_t nb = now, ttl = p->max_lifetime < 600 ? p->max_lifetime : 600, d;
	char t[21];

	if (is->not_before && is->not_before[0] == '+') {
		if (parse_duration(is->not_before + 1, &d) < 0)
			return err_set(&is->err, EINVAL, "--not-before", "\"%s\" is not +DURATION",
				       is->not_before);
		nb = now + d;
	} else if (is->not_before && rfc3339_parse(is->not_before, &nb) < 0) {
		return err_set(&is->err, EINVAL, "--not-before", "\"%s\" is not "
			       "YYYY-MM-DDTHH:MM:SSZ or +DURATION", is->not_before);
	}
	if (is->ttl && (parse_duration(is->ttl, &ttl) < 0 || ttl <= 0))
		return err_set(&is->err, EINVAL, "--ttl", "\"%s\" is not a duration (90s, 5m, 1h)",
			       is->ttl);
	if (ttl > p->max_lifetime) {
		fprintf(stderr, "calyx: --ttl %s exceeds the policy's max_lifetime; the lease lasts "
			"%llds\n", is->ttl, (long long)p->max_lifetime);
		ttl = p->max_lifetime;
	}
	if (nb < now)
		nb = now;
	rfc3339_format(now, t);
	set_string(is->body, "issued_at", t);
	rfc3339_format(nb, t);
	set_string(is->body, "not_before", t);
	rfc3339_format(nb + ttl, t);
	return set_string(is->body, "expires_at", t);
}

static int fill_header(struct issue *is, const char *kid, const char *host, int64_t now)
{
	char id[40], stamp[21], rnd[5];
	uint8_t r[2];

	rfc3339_format(now, stamp);
	sig_random(r, sizeof(r));
	sig_hex(r, sizeof(r), rnd);
	snprintf(id, sizeof(id), "LEASE-%.4s%.2s%.2s-%.2s%.2s%.2s-%s", stamp, stamp + 5,
		 stamp + 8, stamp + 11, stamp + 14, stamp + 17, rnd);
	cJSON_DeleteItemFromObjectCaseSensitive(is->body, "v");
	if (!cJSON_AddNumberToObject(is->body, "v", 1) || set_string(is->body, "id", id) < 0 ||
	    set_string(is->body, "issuer", kid) < 0)
		return -ENOMEM;
	if (!cJSON_GetObjectItemCaseSensitive(is->body, "hosts") &&
	    append_string(is->body, "hosts", host) < 0)
		return -ENOMEM;
	if (!cJSON_GetObjectItemCaseSensitive(is->body, "subject"))
		return err_set(&is->err, EINVAL, "--user", "required: who may use the lease");
	if (!cJSON_GetObjectItemCaseSensitive(is->body, "commands"))
		return err_set(&is->err, EINVAL, "--cmd", "required: at least one command");
	return 0;
}

int lease_doc_build(const cJSON *body, const cJSON *old_sigs, const uint8_t sk[64],
		    const char *kid, struct buf *out)
{
	_cleanup_cjson_ cJSON *doc = cJSON_CreateObject();
	_cleanup_buf_ struct buf canon = { 0 }, b64 = { 0 };
	uint8_t sig[SIG_BYTES];
	cJSON *sigs, *e;

	if (!doc || canon_write(body, &canon) < 0 || sig_sign_lease(&canon, sk, sig) < 0 ||
	    sig_b64_encode(sig, sizeof(sig), &b64) < 0)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(doc, "lease", cJSON_Duplicate(body, 1)))
		return -ENOMEM;
	sigs = old_sigs ? cJSON_Duplicate(old_sigs, 1) : cJSON_CreateArray();
	if (!sigs || !cJSON_AddItemToObject(doc, "signatures", sigs))
		return -ENOMEM;
	e = cJSON_CreateObject();
	if (!e || !cJSON_AddItemToArray(sigs, e) || !cJSON_AddStringToObject(e, "kid", kid) ||
	    !cJSON_AddStringToObject(e, "sig", b64.data))
		return -ENOMEM;
	if (canon_write(doc, out) < 0)
		return -EINVAL;
	return buf_addc(out, '\n');
}

/* Verify doc as leasexec would and check it against the policy. */
static int prove(struct issue *is, const struct buf *doc, const struct trust *t,
		 const struct policy *p, int64_t now, struct decision *d)
{
	struct verified_body *vb = NULL;
	struct lease l;
	int r = sig_verify_lease(doc->data, doc->len, t, now, &vb, NULL, &is->err);

	if (r < 0)
		return r;
	r = lease_from_verified(vb, &l, &is->err);
	if (r == 0) {
		policy_check_lease(p, &l, false, d);
		if (d->allow)
			policy_check_lease(p, &l, true, d);
		else
			r = -EPERM;
		lease_free(&l);
	}
	verified_body_free(vb);
	return r;
}

static int store_new(struct issue *is, struct cx *cx, const struct trust *t,
		     const struct policy *p, const uint8_t sk[64], const char *kid,
		     struct buf *doc, struct decision *d)
{
	int64_t now = time(NULL);
	int r = 0;

	for (int attempt = 0; attempt < 8; attempt++) {
		buf_free(doc);
		if ((r = fill_header(is, kid, cx->host, now)) < 0 || (r = fill_times(is, p, now)) < 0)
			return r;
		if (lease_doc_build(is->body, NULL, sk, kid, doc) < 0)
			return err_set(&is->err, ENOMEM, "lease", "cannot sign");
		r = prove(is, doc, t, p, now, d);
		if (r < 0)
			return r;
		r = store_create(calyx_paths.leases, cJSON_GetObjectItemCaseSensitive(is->body,
			"id")->valuestring, doc, &is->err);
		if (r != -EEXIST)
			return r;
	}
	return err_set(&is->err, EEXIST, "lease", "could not find a free lease id");
}

static cJSON *issue_details(const cJSON *body, const char *kid)
{
	cJSON *d = cJSON_CreateObject(), *cmds = cJSON_AddArrayToObject(d, "commands");
	const cJSON *c, *ra = cJSON_GetObjectItemCaseSensitive(body, "run_as");

	cJSON_AddStringToObject(d, "subject",
				cJSON_GetObjectItemCaseSensitive(body, "subject")->valuestring);
	cJSON_AddStringToObject(d, "run_as", ra ? ra->valuestring : "(subject)");
	cJSON_AddStringToObject(d, "expires_at",
				cJSON_GetObjectItemCaseSensitive(body, "expires_at")->valuestring);
	cJSON_AddStringToObject(d, "kid", kid);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(body, "commands"))
		cJSON_AddItemToArray(cmds, cJSON_CreateString(
			cJSON_GetObjectItemCaseSensitive(c, "path")->valuestring));
	return d;
}

int lease_issue(struct cx *cx, int argc, char **argv)
{
	struct issue is = { .body = cJSON_CreateObject() };
	_cleanup_buf_ struct buf doc = { 0 };
	_cleanup_cjson_ cJSON *details = NULL;
	struct policy p = { 0 };
	struct trust t = { 0 };
	struct decision d;
	uint8_t sk[SIG_SK_BYTES];
	char kid[25];
	int r, rc = EXIT_ERR;

	r = parse_issue(&is, argc, argv);
	if (r < 0) {
		cJSON_Delete(is.body);
		return is.err.msg[0] ? cx_fail(&is.err, EXIT_USAGE) : cx_usage(syn_issue, NULL);
	}
	if ((r = cx_need_root(cx, "lease issue"))) {
		cJSON_Delete(is.body);
		return r;
	}
	if (cx_load_policy(&p, &is.err) < 0 || cx_load_trust(&t, &is.err) < 0 ||
	    (is.key_file ? sig_key_load(is.key_file, sk, kid, &is.err)
			 : keys_issuer(&t, sk, kid, &is.err)) < 0) {
		rc = cx_fail(&is.err, EXIT_ERR);
		goto out;
	}
	r = store_new(&is, cx, &t, &p, sk, kid, &doc, &d);
	sig_wipe(sk, sizeof(sk));
	if (r == -EPERM) {
		_cleanup_cjson_ cJSON *why = cJSON_CreateObject();

		cJSON_AddStringToObject(why, "clause", d.clause);
		cJSON_AddStringToObject(why, "reason", d.reason);
		cJSON_AddStringToObject(why, "request", "lease issue");
		cx_audit(cx, &p, "lease_event.DENIED", NULL, NULL, why);
		fprintf(stderr, "calyx: refused: %s: %s\n", d.clause, d.reason);
		if (d.hint[0])
			fprintf(stderr, "hint: %s\n", d.hint);
		rc = EXIT_INVALID;
		goto out;
	}
	if (r < 0) {
		rc = cx_fail(&is.err, r == -EINVAL || r == -ERANGE ? EXIT_INVALID : EXIT_ERR);
		goto out;
	}
	details = issue_details(is.body, kid);
	if (cx_audit(cx, &p, "lease_event.ISSUED",
		     cJSON_GetObjectItemCaseSensitive(is.body, "id")->valuestring, NULL, details) < 0)
		goto out;
	if (is.json || cx->json)
		fputs(doc.data, stdout);
	else
		printf("%s\n", cJSON_GetObjectItemCaseSensitive(is.body, "id")->valuestring);
	if (!d.allow && !cx->quiet)
		fprintf(stderr, "calyx: note: %s\nhint: %s\n", d.reason, d.hint);
	rc = EXIT_OK;
out:
	policy_free(&p);
	trust_free(&t);
	cJSON_Delete(is.body);
	return rc;
}

const char *lease_issue_synopsis(void)
{
	return syn_issue;
}
