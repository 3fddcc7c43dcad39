/* SPDX-License-Identifier: ISC */
/*
 * test_lease: every golden fixture through the stages leasexec runs
 * (sig_verify_lease -> lease_from_verified -> policy_decide), asserting the
 * stage that refuses it and what the refusal names; then the lease model's
 * field checks, limits, network rules, names and argument patterns.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ck.h"
#include "fixlib.h"
#include "lease.h"
#include "policy.h"

enum stage {
	ST_SIG,    /* sig_verify_lease refuses: where is err.where */
	ST_LEASE,  /* lease_from_verified refuses: where is err.where */
	ST_DECIDE, /* policy_decide refuses: where is the clause */
	ST_ALLOW,  /* allowed: where is the command path */
};

static const char *const stage_names[] = { "sig", "lease", "decide", "allow" };

/* where ending in '*' is a prefix; msg is a part of the message or reason. */
static const struct expect {
	const char *fixture;
	enum stage stage;
	const char *where;
	const char *msg;
} expects[] = {
	{ "valid", ST_ALLOW, "/usr/bin/make", "" },
	{ "valid-previous-kid", ST_ALLOW, "/usr/bin/make", "" },
	{ "valid-dup-sig", ST_ALLOW, "/usr/bin/make", "" },
	{ "valid-unknown-cosigner", ST_ALLOW, "/usr/bin/make", "" },
	{ "valid-envelope-ws", ST_ALLOW, "/usr/bin/make", "" },
	{ "approval-met", ST_ALLOW, "/usr/bin/make", "" },
	{ "approval-one-key", ST_DECIDE, "policy.approvals",
	  "needs 2 signatures by distinct keys with distinct roles (approval rule \"run_as root\"); "
	  "it has 1" },
	{ "approval-same-role", ST_DECIDE, "policy.approvals", "(approval rule \"run_as root\"); "
	  "it has 2" },
	{ "expired", ST_DECIDE, "lease.expires_at", "expired at 2030-01-01T00:00:00Z" },
	{ "not-yet-valid", ST_DECIDE, "lease.not_before", "not valid before 2030-01-01T01:00:00Z" },
	{ "wrong-host", ST_DECIDE, "lease.hosts", "is not valid on host web1" },
	{ "wrong-subject", ST_DECIDE, "lease.subject", "is for mallory, not alice" },
	{ "forged-sig", ST_SIG, "signatures[0]", "does not verify" },
	{ "valid-plus-forged", ST_SIG, "signatures[1]", "does not verify" },
	{ "body-changed", ST_SIG, "signatures[0]", "does not verify" },
	{ "unknown-kid", ST_SIG, "signatures", "no signature by a trusted, current or previous key" },
	{ "retired-kid", ST_SIG, "signatures", "no signature by a trusted, current or previous key" },
	{ "lapsed-kid", ST_SIG, "signatures", "no signature by a trusted, current or previous key" },
	{ "issuer-not-signer", ST_LEASE, "lease.issuer", "has no valid signature on the lease" },
	{ "no-signatures", ST_SIG, "signatures", "lease is not signed" },
	{ "missing-signatures", ST_SIG, "signatures", "required array missing" },
	{ "too-many-signatures", ST_SIG, "signatures", "more than 8 signatures" },
	{ "sig-not-base64", ST_SIG, "signatures[0]", "sig is not base64 of 64 bytes" },
	{ "duplicate-key", ST_SIG, "lease", "duplicate key \"subject\"" },
	{ "case-duplicate-key", ST_SIG, "lease", "keys \"Subject\" and \"subject\" differ only in case" },
	{ "case-variant-key", ST_LEASE, "lease.Subject", "unknown field (did you mean \"subject\"?)" },
	{ "unknown-field", ST_LEASE, "lease.sudo", "unknown field" },
	{ "noncanon-whitespace", ST_SIG, "lease", "body is not in canonical form" },
	{ "noncanon-order", ST_SIG, "lease", "body is not in canonical form" },
	{ "noncanon-escape", ST_SIG, "lease", "body is not in canonical form" },
	{ "float", ST_SIG, "lease.max_uses", "numbers must be integers" },
	{ "exponent", ST_SIG, "lease.max_uses", "numbers must be integers" },
	{ "huge-int", ST_SIG, "lease.max_uses", "integer out of range" },
	{ "leading-zero", ST_SIG, "lease.max_uses", "number with leading zero" },
	{ "deep-nesting", ST_SIG, "lease.x[0]*", "nesting deeper than 12 levels" },
	{ "oversize", ST_SIG, "lease", "limit is 65536" },
	{ "trailing-garbage", ST_SIG, "lease", "trailing data at byte" },
	{ "invalid-utf8", ST_SIG, "lease.commands[0].path", "invalid UTF-8" },
	{ "nul-escape", ST_SIG, "lease.subject", "\\u0000 (NUL) in string" },
	{ "nul-byte", ST_SIG, "lease.subject", "NUL byte in string" },
	{ "lone-surrogate", ST_SIG, "lease.subject", "unpaired surrogate" },
	{ "lone-low-surrogate", ST_SIG, "lease.subject", "lone low surrogate" },
	{ "control-char", ST_SIG, "lease.subject", "unescaped control character" },
	{ "subject-newline", ST_LEASE, "lease.subject", "is not a user name" },
};

static struct trust trust;
static struct policy policy;

static void load_data(void)
{
	_cleanup_free_ char *t = NULL, *p = NULL;
	struct calyx_err err = { 0 };
	size_t tn = 0, pn = 0;

	t = ck_read_data("trust.json", &tn);
	p = ck_read_data("policy.json", &pn);
	ck_assert_msg(t && p, "cannot read tests/data (CALYX_TEST_DATA=%s)", ck_data_dir());
	ck_assert_msg(trust_parse(t, tn, &trust, &err) == 0, "trust.json: %s: %s", err.where,
		      err.msg);
	ck_assert_msg(policy_parse(p, pn, &policy, &err) == 0, "policy.json: %s: %s", err.where,
		      err.msg);
	ck_assert_int_eq(fix_keys_init(), 0);
}

static void unload_data(void)
{
	trust_free(&trust);
	policy_free(&policy);
}

static char *const make_test[] = { "test", NULL };
static char *const groups[] = { "devs", NULL };

static struct request fixture_request(void)
{
	return (struct request){
		.now = FIX_NOW, .uid = 1000, .user = FIX_USER, .groups = groups, .host = FIX_HOST,
		.argv0 = "make", .args = make_test, .cwd = "/home/alice/src", .home = "/home/alice",
	};
}

static bool where_matches(const char *pattern, const char *got)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, got, n - 1) == 0;
	return strcmp(pattern, got) == 0;
}

static void check_refusal(const struct expect *e, enum stage got, const char *where,
			  const char *msg)
{
	ck_assert_msg(got == e->stage, "%s: refused at stage %s (%s: %s), expected stage %s",
		      e->fixture, stage_names[got], where, msg, stage_names[e->stage]);
	ck_assert_msg(where_matches(e->where, where), "%s: refusal names \"%s\", expected \"%s\"",
		      e->fixture, where, e->where);
	ck_assert_msg(strstr(msg, e->msg), "%s: message \"%s\" lacks \"%s\"", e->fixture, msg,
		      e->msg);
}

static void run_fixture(const struct expect *e)
{
	char name[128];
	_cleanup_free_ char *doc = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	struct request req = fixture_request();
	struct lease l;
	struct decision d;
	size_t n = 0;

	snprintf(name, sizeof(name), "leases/%s.json", e->fixture);
	doc = ck_read_data(name, &n);
	ck_assert_msg(doc, "cannot read %s", name);
	if (sig_verify_lease(doc, n, &trust, FIX_NOW, &vb, NULL, &err) < 0) {
		ck_assert_ptr_null(vb);
		return check_refusal(e, ST_SIG, err.where, err.msg);
	}
	if (lease_from_verified(vb, &l, &err) < 0) {
		verified_body_free(vb);
		return check_refusal(e, ST_LEASE, err.where, err.msg);
	}
	ck_assert_int_eq(policy_decide(&l, &req, &policy, &d), 0);
	lease_free(&l);
	verified_body_free(vb);
	if (!d.allow)
		return check_refusal(e, ST_DECIDE, d.clause, d.reason);
	check_refusal(e, ST_ALLOW, d.cmd_path, "");
	ck_assert_str_eq(d.clause, "");
}

START_TEST(fixture_stage)
{
	run_fixture(&expects[_i]);
}
END_TEST

/* A fixture without an expectation (or the reverse) is a test that does not run. */
START_TEST(every_fixture_has_an_expectation)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t seen = 0;

	snprintf(dir, sizeof(dir), "%s/leases", ck_data_dir());
	d = opendir(dir);
	ck_assert_msg(d, "cannot open %s", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), i;

		if (e->d_name[0] == '.')
			continue;
		ck_assert_msg(len > 5 && strcmp(e->d_name + len - 5, ".json") == 0,
			      "stray file %s", e->d_name);
		for (i = 0; i < ARRAY_SIZE(expects); i++)
			if (strlen(expects[i].fixture) == len - 5 &&
			    strncmp(expects[i].fixture, e->d_name, len - 5) == 0)
				break;
		ck_assert_msg(i < ARRAY_SIZE(expects), "no expectation for %s", e->d_name);
		seen++;
	}
	closedir(d);
	ck_assert_uint_eq(seen, ARRAY_SIZE(expects));
}
END_TEST

static void verify_report(const char *fixture, struct sig_report *rep, int *ret)
{
	char name[128];
	_cleanup_free_ char *doc = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	size_t n = 0;

	snprintf(name, sizeof(name), "leases/%s.json", fixture);
	doc = ck_read_data(name, &n);
	ck_assert_ptr_nonnull(doc);
	*ret = sig_verify_lease(doc, n, &trust, FIX_NOW, &vb, rep, &err);
	if (*ret == 0)
		*ret = (int)verified_body_nsigners(vb);
	verified_body_free(vb);
}

START_TEST(two_signatures_by_one_key_count_once)
{
	struct sig_report rep;
	int r;

	verify_report("valid-dup-sig", &rep, &r);
	ck_assert_int_eq(r, 1);
	ck_assert_uint_eq(rep.n, 2);
	ck_assert_int_eq(rep.e[0].verdict, SIG_COUNTED);
	ck_assert_int_eq(rep.e[1].verdict, SIG_DUPLICATE);
	ck_assert_str_eq(rep.e[1].kid, fix_key(FK_HOST)->kid);
}
END_TEST

START_TEST(unknown_and_retired_keys_never_count)
{
	struct sig_report rep;
	int r;

	verify_report("valid-unknown-cosigner", &rep, &r);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(rep.e[1].verdict, SIG_UNKNOWN_KEY);
	verify_report("unknown-kid", &rep, &r);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_int_eq(rep.e[0].verdict, SIG_UNKNOWN_KEY);
	verify_report("retired-kid", &rep, &r);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_int_eq(rep.e[0].verdict, SIG_RETIRED_KEY);
	verify_report("lapsed-kid", &rep, &r);
	ck_assert_int_eq(rep.e[0].verdict, SIG_RETIRED_KEY);
}
END_TEST

/* The lapsed key was good until 2029-06-01: validity is judged at `now`. */
START_TEST(key_validity_is_judged_at_now)
{
	_cleanup_free_ char *doc = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	size_t n = 0;

	doc = ck_read_data("leases/lapsed-kid.json", &n);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(sig_verify_lease(doc, n, &trust, 1874966399LL, &vb, NULL, &err), 0);
	ck_assert_uint_eq(verified_body_nsigners(vb), 1);
	verified_body_free(vb);
	ck_assert_int_lt(sig_verify_lease(doc, n, &trust, 1874966400LL, &vb, NULL, &err), 0);
}
END_TEST

START_TEST(messages_stay_on_one_line)
{
	_cleanup_free_ char *doc = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	struct lease l;
	size_t n = 0;

	doc = ck_read_data("leases/subject-newline.json", &n);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(sig_verify_lease(doc, n, &trust, FIX_NOW, &vb, NULL, &err), 0);
	ck_assert_int_lt(lease_from_verified(vb, &l, &err), 0);
	verified_body_free(vb);
	for (const char *p = err.msg; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
			      "control byte 0x%02x in message \"%s\"", *p, err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "alice?root?[2K"));
}
END_TEST

/* ---- the fields of a valid lease ---------------------------------------- */

static void valid_lease(struct lease *l)
{
	_cleanup_free_ char *doc = NULL;
	struct verified_body *vb = NULL;
	struct calyx_err err = { 0 };
	size_t n = 0;

	doc = ck_read_data("leases/approval-met.json", &n);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(sig_verify_lease(doc, n, &trust, FIX_NOW, &vb, NULL, &err), 0);
	ck_assert_msg(lease_from_verified(vb, l, &err) == 0, "%s: %s", err.where, err.msg);
	verified_body_free(vb);
}

START_TEST(valid_fields_are_read)
{
	struct lease l;

	valid_lease(&l);
	ck_assert_str_eq(l.id, "LEASE-20300101-000000-0006");
	ck_assert_str_eq(l.subject, "alice");
	ck_assert_str_eq(l.issuer, fix_key(FK_HOST)->kid);
	ck_assert_str_eq(l.run_as_user, "root");
	ck_assert_ptr_null(l.run_as_group);
	ck_assert_str_eq(l.hosts[0], "web1");
	ck_assert_ptr_null(l.hosts[1]);
	ck_assert_int_eq(l.not_before, FIX_T0);
	ck_assert_int_eq(l.expires_at, FIX_T0 + 600);
	ck_assert_uint_eq(l.n_cmds, 2);
	ck_assert_str_eq(l.cmds[1].path, "/usr/bin/git");
	ck_assert_str_eq(l.cmds[1].args[1], "**");
	ck_assert(!l.cmds[0].pinned);
	ck_assert_str_eq(l.rw[0], "/home/alice/src");
	ck_assert_str_eq(l.env_set[0], "CI=1");
	ck_assert_str_eq(l.env_allow[1], "LC_*");
	ck_assert_uint_eq(l.limits.set, (1u << LIM_WALL) | (1u << LIM_CPU) | (1u << LIM_MEMORY));
	ck_assert_uint_eq(l.limits.v[LIM_CPU], 1500);
	ck_assert_uint_eq(l.limits.v[LIM_MEMORY], 1ULL << 30);
	ck_assert_uint_eq(l.limits.v[LIM_WALL], 300);
	ck_assert_int_eq(l.net, NET_NONE);
	ck_assert_int_eq(l.max_uses, 3);
	ck_assert(l.capture);
	ck_assert_int_eq(l.expiry, EXPIRY_KILL);
	ck_assert_uint_eq(l.n_signers, 2);
	ck_assert_str_eq(l.signers[0].roles[0], "host");
	ck_assert_str_eq(l.signers[1].roles[0], "human");
	ck_assert_str_eq(l.signers[1].kid, fix_key(FK_HUMAN)->kid);
	lease_free(&l);
}
END_TEST

/* ---- field checks: a signed body the lease model refuses ---------------- */

static const struct {
	const char *patch;
	const char *where;
	const char *msg;
} field_rejects[] = {
	{ "{\"v\": 2}", "lease.v", "out of range [1, 1]" },
	{ "{\"id\": \"LEASE-1\"}", "lease.id", "is not LEASE-YYYYMMDD-HHMMSS-hex" },
	{ "{\"id\": \"LEASE-20300101-000000-ABCD\"}", "lease.id", "is not LEASE-" },
	{ "{\"subject\": null}", "lease.subject", "required field missing" },
	{ "{\"subject\": 1000}", "lease.subject", "must be a string" },
	{ "{\"subject\": \"-alice\"}", "lease.subject", "is not a user name" },
	{ "{\"intent\": \"\"}", "lease.intent", "1-128 printable" },
	{ "{\"issued_at\": \"2030-01-01T00:00:01Z\"}", "lease.not_before", "before issued_at" },
	{ "{\"expires_at\": \"2030-01-01T00:00:00Z\"}", "lease.expires_at", "not after not_before" },
	{ "{\"expires_at\": \"2030-02-31T00:00:00Z\"}", "lease.expires_at", "is not YYYY-MM-DD" },
	{ "{\"not_before\": \"2030-01-01 00:00:00\"}", "lease.not_before", "is not YYYY-MM-DD" },
	{ "{\"hosts\": []}", "lease.hosts", "at least one host" },
	{ "{\"hosts\": \"web1\"}", "lease.hosts", "must be an array of strings" },
	{ "{\"hosts\": [\"web1\", \"*\"]}", "lease.hosts", "\"*\" must stand alone" },
	{ "{\"hosts\": [\"web 1\"]}", "lease.hosts", "is not a host name" },
	{ "{\"run_as\": \"root:\"}", "lease.run_as", "is not a group name" },
	{ "{\"run_as\": \"9lives\"}", "lease.run_as", "is not a user name" },
	{ "{\"caps\": [\"cap_fly\"]}", "lease.caps", "unknown capability \"cap_fly\"" },
	{ "{\"caps\": [\"net_bind_service\"]}", "lease.caps", "only kept when run_as is root" },
	{ "{\"commands\": []}", "lease.commands", "must list 1 to 64 commands" },
	{ "{\"commands\": {\"path\": \"/bin/true\"}}", "lease.commands", "must be an array" },
	{ "{\"commands\": [{\"path\": \"make\"}]}", "lease.commands[0]", "is not a normal absolute" },
	{ "{\"commands\": [{\"path\": \"/usr/bin/../bin/sh\"}]}", "lease.commands[0]",
	  "is not a normal absolute" },
	{ "{\"commands\": [{\"path\": \"/bin/true\", \"argv\": []}]}", "lease.commands[0].argv",
	  "unknown field" },
	{ "{\"commands\": [{\"path\": \"/bin/tar\", \"args\": [\"**\", \"-x\"]}]}",
	  "lease.commands[0]", "\"**\" may only be the last" },
	{ "{\"commands\": [{\"path\": \"/bin/tar\", \"sha256\": \"ABCDEF\"}]}", "lease.commands[0]",
	  "64 lowercase hex digits" },
	{ "{\"paths\": {\"rw\": [\"/srv/a/\"]}}", "lease.paths.rw", "is not a normal absolute path" },
	{ "{\"paths\": {\"ro\": [\"relative\"]}}", "lease.paths.ro", "is not a normal absolute path" },
	{ "{\"paths\": {\"write\": [\"/srv\"]}}", "lease.paths.write", "unknown field" },
	{ "{\"cwd\": [\"/srv/../etc\"]}", "lease.cwd", "is not a normal absolute path" },
	{ "{\"env\": {\"allow\": [\"LD PRELOAD\"]}}", "lease.env.allow", "is not a variable name" },
	{ "{\"env\": {\"allow\": [\"*\"]}}", "lease.env.allow", "is not a variable name" },
	{ "{\"env\": {\"set\": {\"1X\": \"y\"}}}", "lease.env.set", "is not a variable name" },
	{ "{\"env\": {\"set\": {\"X\": 1}}}", "lease.env.set", "value of X must be a string" },
	{ "{\"limits\": {\"swap\": \"1G\"}}", "lease.limits.swap", "unknown limit" },
	{ "{\"limits\": {\"memory\": 0}}", "lease.limits.memory", "positive integer or a string" },
	{ "{\"limits\": {\"memory\": \"0M\"}}", "lease.limits.memory", "is not a valid memory limit" },
	{ "{\"limits\": {\"cpu\": \"1.2345\"}}", "lease.limits.cpu", "is not a valid cpu limit" },
	{ "{\"limits\": {\"wall\": -5}}", "lease.limits.wall", "positive integer or a string" },
	{ "{\"limits\": {\"pids\": \"lots\"}}", "lease.limits.pids", "is not a valid pids limit" },
	{ "{\"network\": {\"mode\": \"internet\"}}", "lease.network.mode", "is not none, loopback" },
	{ "{\"network\": {\"mode\": null}}", "lease.network.mode", "required field missing" },
	{ "{\"network\": {\"mode\": \"allow\"}}", "lease.network.allow", "at least one entry" },
	{ "{\"network\": {\"mode\": \"none\", \"allow\": [\"10.0.0.0/8:443\"]}}",
	  "lease.network.allow", "only meaningful with mode allow" },
	{ "{\"network\": {\"mode\": \"allow\", \"allow\": [\"10.0.0.1/8:443\"]}}",
	  "lease.network.allow", "\"10.0.0.1/8:443\" is not CIDR:port" },
	{ "{\"network\": {\"mode\": \"allow\", \"allow\": [\"10.0.0.0/8:1-5000\"]}}",
	  "lease.network.allow", "5000 ports in all; at most 4096" },
	{ "{\"max_uses\": 0}", "lease.max_uses", "out of range [1, 1000000]" },
	{ "{\"capture\": \"yes\"}", "lease.capture", "must be true or false" },
	{ "{\"expiry\": \"never\"}", "lease.expiry", "is not kill or finish" },
	{ "{\"profile\": \"../root\"}", "lease.profile", "is not a profile name" },
	{ "{\"pty\": \"yes\"}", "lease.pty", "must be true, false or \"auto\"" },
	{ "{\"pty\": 1}", "lease.pty", "must be true, false or \"auto\"" },
	{ "{\"auth\": \"password\"}", "lease.auth", "is not none or pam" },
	{ "{\"auth\": true}", "lease.auth", "must be a string" },
	{ "{\"record_input\": \"yes\"}", "lease.record_input", "must be true or false" },
	{ "{\"terminal\": true}", "lease.terminal", "unknown field" },
	{ "{\"assess\": {\"max\": \"SEVERE\"}}", "lease.assess.max", "is not LOW, MEDIUM" },
	{ "{\"assess\": {\"max\": \"low\"}}", "lease.assess.max", "is not LOW, MEDIUM" },
	{ "{\"assess\": {\"max\": 1}}", "lease.assess.max", "must be a string" },
	{ "{\"assess\": {\"override\": \"yes\"}}", "lease.assess.override", "must be true or false" },
	{ "{\"assess\": {\"min\": \"LOW\"}}", "lease.assess.min", "unknown field" },
	{ "{\"assess\": true}", "lease.assess", "must be an object" },
	{ "{\"limits\": {\"memory\": \"25%\"}}", "lease.limits", "shares of the host" },
	{ "{\"limits\": {\"wall\": \"25%\"}}", "lease.limits.wall", "is not a valid wall limit" },
};

START_TEST(field_reject)
{
	cJSON *b = fix_body_patched(field_rejects[_i].patch);
	struct calyx_err err = { 0 };
	struct lease l;
	int r;

	ck_assert_msg(b, "bad patch %s", field_rejects[_i].patch);
	r = fix_lease(b, (const enum fix_key[]){ FK_HOST }, 1, &trust, FIX_NOW, &l, &err);
	cJSON_Delete(b);
	ck_assert_msg(r < 0, "%s was accepted", field_rejects[_i].patch);
	ck_assert_msg(strcmp(err.where, field_rejects[_i].where) == 0, "%s: where \"%s\" (%s)",
		      field_rejects[_i].patch, err.where, err.msg);
	ck_assert_msg(strstr(err.msg, field_rejects[_i].msg), "%s: message \"%s\"",
		      field_rejects[_i].patch, err.msg);
}
END_TEST

START_TEST(optional_fields_are_read)
{
	cJSON *b = fix_body_patched(
		"{\"run_as\": \"root:adm\", \"caps\": [\"CAP_NET_BIND_SERVICE\", \"chown\"],"
		" \"commands\": [{\"path\": \"/bin/true\", \"sha256\":"
		" \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}],"
		" \"network\": {\"mode\": \"allow\", \"allow\": [\"[2001:db8::/32]:443\","
		" \"127.0.0.1:8000-8080\"]}, \"capture\": false, \"expiry\": \"finish\","
		" \"profile\": \"trusted\", \"intent\": \"PLAN-7\", \"cwd\": [\"/srv/build\"]}");
	struct calyx_err err = { 0 };
	struct lease l;
	int r;

	ck_assert_ptr_nonnull(b);
	r = fix_lease(b, (const enum fix_key[]){ FK_HOST, FK_HUMAN }, 2, &trust, FIX_NOW, &l, &err);
	cJSON_Delete(b);
	ck_assert_msg(r == 0, "%s: %s", err.where, err.msg);
	ck_assert_str_eq(l.run_as_user, "root");
	ck_assert_str_eq(l.run_as_group, "adm");
	ck_assert_uint_eq(l.cap_mask, (1ULL << 10) | (1ULL << 0));
	ck_assert(l.cmds[0].pinned);
	ck_assert_uint_eq(l.cmds[0].sha256[0], 0x01);
	ck_assert_uint_eq(l.cmds[0].sha256[31], 0xef);
	ck_assert_ptr_null(l.cmds[0].args);
	ck_assert_int_eq(l.net, NET_ALLOW);
	ck_assert_uint_eq(l.n_allow, 2);
	ck_assert_int_eq(l.allow[0].family, AF_INET6);
	ck_assert_uint_eq(l.allow[1].port_hi, 8080);
	ck_assert(!l.capture);
	ck_assert_int_eq(l.expiry, EXPIRY_FINISH);
	ck_assert_str_eq(l.profile, "trusted");
	ck_assert_str_eq(l.intent, "PLAN-7");
	ck_assert_str_eq(l.cwd[0], "/srv/build");
	ck_assert_int_eq(l.pty, PTY_OFF);
	ck_assert_int_eq(l.auth, AUTH_NONE);
	ck_assert(!l.record_input);
	ck_assert(!l.assess_max_set);
	ck_assert(!l.assess_override);
	lease_free(&l);
}
END_TEST

/* "pty", "auth", "record_input": each spelling the reader accepts, read as meant */
static const struct {
	const char *patch;
	enum pty_mode pty;
	enum auth_method auth;
	bool record_input;
} terminal_cases[] = {
	{ "{\"pty\": true}", PTY_ON, AUTH_NONE, false },
	{ "{\"pty\": false, \"auth\": \"none\"}", PTY_OFF, AUTH_NONE, false },
	{ "{\"pty\": \"auto\", \"record_input\": true}", PTY_AUTO, AUTH_NONE, true },
	{ "{\"auth\": \"pam\", \"record_input\": false}", PTY_OFF, AUTH_PAM, false },
};

START_TEST(terminal_fields_are_read)
{
	cJSON *b = fix_body_patched(terminal_cases[_i].patch);
	struct calyx_err err = { 0 };
	struct lease l;
	int r;

	ck_assert_ptr_nonnull(b);
	r = fix_lease(b, (const enum fix_key[]){ FK_HOST }, 1, &trust, FIX_NOW, &l, &err);
	cJSON_Delete(b);
	ck_assert_msg(r == 0, "%s: %s: %s", terminal_cases[_i].patch, err.where, err.msg);
	ck_assert_int_eq(l.pty, terminal_cases[_i].pty);
	ck_assert_int_eq(l.auth, terminal_cases[_i].auth);
	ck_assert_int_eq(l.record_input, terminal_cases[_i].record_input);
	ck_assert_str_eq(pty_mode_name(l.pty), terminal_cases[_i].pty == PTY_AUTO ? "auto" :
			 terminal_cases[_i].pty == PTY_ON ? "true" : "false");
	lease_free(&l);
}
END_TEST

/* assess: the canonical writer sorts it in like any other field; it reads back. */
START_TEST(assess_fields_are_read)
{
	cJSON *b = fix_body_patched("{\"assess\": {\"override\": true, \"max\": \"LOW\"}}");
	struct calyx_err err = { 0 };
	_cleanup_buf_ struct buf doc = { 0 };
	struct lease l;
	int r;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(fix_doc_signed(b, (const enum fix_key[]){ FK_HOST }, 1, &doc), 0);
	/* keys sorted bytewise inside it too, and it sorts before "commands" */
	ck_assert_ptr_nonnull(strstr(doc.data, "\"assess\":{\"max\":\"LOW\",\"override\":true}"));
	ck_assert(strstr(doc.data, "\"assess\"") < strstr(doc.data, "\"commands\""));
	r = fix_lease(b, (const enum fix_key[]){ FK_HOST }, 1, &trust, FIX_NOW, &l, &err);
	cJSON_Delete(b);
	ck_assert_msg(r == 0, "%s: %s", err.where, err.msg);
	ck_assert(l.assess_max_set);
	ck_assert_int_eq(l.assess_max, AL_LOW);
	ck_assert(l.assess_override);
	lease_free(&l);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

static const struct {
	enum limit_id id;
	const char *s;
	int r;
	uint64_t v;
} limit_cases[] = {
	{ LIM_MEMORY, "2G", 0, 2ULL << 30 },
	{ LIM_MEMORY, "500M", 0, 500ULL << 20 },
	{ LIM_MEMORY, "64k", 0, 64ULL << 10 },
	{ LIM_MEMORY, "1T", 0, 1ULL << 40 },
	{ LIM_MEMORY, "1024", 0, 1024 },
	{ LIM_MEMORY, "0", -ERANGE, 0 },
	{ LIM_MEMORY, "0G", -ERANGE, 0 },
	{ LIM_MEMORY, "1.5G", -EINVAL, 0 },
	{ LIM_MEMORY, "2GB", -EINVAL, 0 },
	{ LIM_MEMORY, "G", -EINVAL, 0 },
	{ LIM_MEMORY, "", -EINVAL, 0 },
	{ LIM_MEMORY, "-1", -EINVAL, 0 },
	{ LIM_MEMORY, "16777216T", -ERANGE, 0 },
	{ LIM_OUTPUT, "16M", 0, 16ULL << 20 },
	{ LIM_CPU, "1.5", 0, 1500 },
	{ LIM_CPU, "2", 0, 2000 },
	{ LIM_CPU, "0.25", 0, 250 },
	{ LIM_CPU, "0.001", 0, 1 },
	{ LIM_CPU, "0", -ERANGE, 0 },
	{ LIM_CPU, "0.000", -ERANGE, 0 },
	{ LIM_CPU, "0.0001", -EINVAL, 0 },
	{ LIM_CPU, ".5", -EINVAL, 0 },
	{ LIM_CPU, "1.", -EINVAL, 0 },
	{ LIM_CPU, "1,5", -EINVAL, 0 },
	{ LIM_WALL, "90s", 0, 90 },
	{ LIM_WALL, "5m", 0, 300 },
	{ LIM_WALL, "1h", 0, 3600 },
	{ LIM_WALL, "600", 0, 600 },
	{ LIM_WALL, "0s", -ERANGE, 0 },
	{ LIM_WALL, "5 m", -EINVAL, 0 },
	{ LIM_WALL, "5x", -EINVAL, 0 },
	{ LIM_PIDS, "512", 0, 512 },
	{ LIM_PIDS, "0", -ERANGE, 0 },
	{ LIM_PIDS, "5k", -EINVAL, 0 },
	{ LIM_PIDS, "2147483648", -ERANGE, 0 },
	{ LIM_NOFILE, "1024", 0, 1024 },
};

START_TEST(limit_parse)
{
	uint64_t v = 0xdeadbeef;
	int r = limit_parse_string(limit_cases[_i].id, limit_cases[_i].s, &v);

	ck_assert_msg(r == limit_cases[_i].r, "%s \"%s\": got %d, want %d",
		      limit_name(limit_cases[_i].id), limit_cases[_i].s, r, limit_cases[_i].r);
	if (r == 0)
		ck_assert_uint_eq(v, limit_cases[_i].v);
}
END_TEST

START_TEST(limit_format_round_trips)
{
	static const struct {
		enum limit_id id;
		uint64_t v;
		const char *s;
	} f[] = {
		{ LIM_MEMORY, 2ULL << 30, "2G" }, { LIM_MEMORY, 1536ULL << 20, "1536M" },
		{ LIM_MEMORY, 1000, "1000" },     { LIM_CPU, 1500, "1.5" },
		{ LIM_CPU, 2000, "2" },           { LIM_CPU, 250, "0.25" },
		{ LIM_CPU, 1, "0.001" },          { LIM_WALL, 600, "600s" },
		{ LIM_PIDS, 4096, "4096" },       { LIM_OUTPUT, 1ULL << 42, "4T" },
	};
	char out[32];
	uint64_t back;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		limit_format(f[i].id, f[i].v, out, sizeof(out));
		ck_assert_str_eq(out, f[i].s);
		ck_assert_int_eq(limit_parse_string(f[i].id, out, &back), 0);
		ck_assert_uint_eq(back, f[i].v);
	}
}
END_TEST

START_TEST(limits_json)
{
	cJSON *o = cJSON_Parse("{\"wall\": 300, \"cpu\": 2, \"memory\": \"2G\", \"pids\": 64}");
	struct calyx_err err = { 0 };
	struct limits lim;

	ck_assert_int_eq(limits_parse_json(o, "x.limits", &lim, &err), 0);
	cJSON_Delete(o);
	ck_assert_uint_eq(lim.v[LIM_CPU], 2000); /* an integer cpu is whole cores */
	ck_assert_uint_eq(lim.v[LIM_MEMORY], 2ULL << 30);
	ck_assert_uint_eq(lim.v[LIM_PIDS], 64);
	ck_assert_uint_eq(lim.set, (1u << LIM_WALL) | (1u << LIM_CPU) | (1u << LIM_MEMORY) |
					   (1u << LIM_PIDS));
	ck_assert_int_eq(limits_parse_json(NULL, "x", &lim, &err), 0);
	ck_assert_uint_eq(lim.set, 0);
	o = cJSON_Parse("[1]");
	ck_assert_int_eq(limits_parse_json(o, "x.limits", &lim, &err), -EINVAL);
	ck_assert_str_eq(err.where, "x.limits");
	cJSON_Delete(o);
}
END_TEST

/* ---- network rules ------------------------------------------------------- */

static const struct {
	const char *s;
	int r;
	int family;
	unsigned prefix, lo, hi;
} net_cases[] = {
	{ "10.0.0.0/8:443", 0, AF_INET, 8, 443, 443 },
	{ "192.168.1.7:22", 0, AF_INET, 32, 22, 22 },
	{ "0.0.0.0/0:80-90", 0, AF_INET, 0, 80, 90 },
	{ "[::1]:8080", 0, AF_INET6, 128, 8080, 8080 },
	{ "[2001:db8::/32]:1-1024", 0, AF_INET6, 32, 1, 1024 },
	{ "[::/0]:65535", 0, AF_INET6, 0, 65535, 65535 },
	{ "10.0.0.1/8:443", -EINVAL, 0, 0, 0, 0 },       /* host bits set */
	{ "[2001:db8::1/32]:443", -EINVAL, 0, 0, 0, 0 }, /* host bits set */
	{ "192.168.1.128/25:1", 0, AF_INET, 25, 1, 1 },
	{ "192.168.1.129/25:1", -EINVAL, 0, 0, 0, 0 },
	{ "::1:80", -EINVAL, 0, 0, 0, 0 },               /* IPv6 needs brackets */
	{ "[::1]80", -EINVAL, 0, 0, 0, 0 },
	{ "[::1:80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/33:80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/-1:80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/:80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8", -EINVAL, 0, 0, 0, 0 },           /* no port */
	{ "10.0.0.0/8:0", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:65536", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:080", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:+80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:90-80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:80-", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0.0/8:*", -EINVAL, 0, 0, 0, 0 },
	{ "010.0.0.0/8:80", -EINVAL, 0, 0, 0, 0 },
	{ "10.0.0/8:80", -EINVAL, 0, 0, 0, 0 },
	{ "example.com:443", -EINVAL, 0, 0, 0, 0 },
	{ ":443", -EINVAL, 0, 0, 0, 0 },
	{ "", -EINVAL, 0, 0, 0, 0 },
};

START_TEST(net_rule)
{
	struct net_rule r;
	int got = net_rule_parse(net_cases[_i].s, &r);

	ck_assert_msg(got == net_cases[_i].r, "\"%s\": got %d", net_cases[_i].s, got);
	if (got < 0)
		return;
	ck_assert_int_eq(r.family, net_cases[_i].family);
	ck_assert_uint_eq(r.prefix, net_cases[_i].prefix);
	ck_assert_uint_eq(r.port_lo, net_cases[_i].lo);
	ck_assert_uint_eq(r.port_hi, net_cases[_i].hi);
}
END_TEST

START_TEST(net_rule_match_and_format)
{
	struct net_rule r, back;
	uint8_t a4[4], a6[16];
	char s[96];

	ck_assert_int_eq(net_rule_parse("10.1.0.0/16:443-444", &r), 0);
	inet_pton(AF_INET, "10.1.200.3", a4);
	ck_assert(net_rule_match(&r, AF_INET, a4, 443));
	ck_assert(net_rule_match(&r, AF_INET, a4, 444));
	ck_assert(!net_rule_match(&r, AF_INET, a4, 445));
	ck_assert(!net_rule_match(&r, AF_INET6, a4, 443));
	inet_pton(AF_INET, "10.2.0.1", a4);
	ck_assert(!net_rule_match(&r, AF_INET, a4, 443));
	net_rule_format(&r, s, sizeof(s));
	ck_assert_str_eq(s, "10.1.0.0/16:443-444");

	ck_assert_int_eq(net_rule_parse("[fd00::/12]:53", &r), 0);
	inet_pton(AF_INET6, "fd0f:ffff::1", a6);
	ck_assert(net_rule_match(&r, AF_INET6, a6, 53));
	inet_pton(AF_INET6, "fd10::1", a6);
	ck_assert(!net_rule_match(&r, AF_INET6, a6, 53));
	net_rule_format(&r, s, sizeof(s));
	ck_assert_str_eq(s, "[fd00::/12]:53");
	ck_assert_int_eq(net_rule_parse(s, &back), 0);
	ck_assert_mem_eq(&back, &r, sizeof(r));
}
END_TEST

/* ---- names and patterns ------------------------------------------------- */

START_TEST(env_names)
{
	ck_assert(env_name_valid("PATH", false));
	ck_assert(env_name_valid("_x1", false));
	ck_assert(env_name_valid("LC_*", true));
	ck_assert(!env_name_valid("LC_*", false));
	ck_assert(!env_name_valid("*", true));
	ck_assert(!env_name_valid("A*B", true));
	ck_assert(!env_name_valid("1ABC", false));
	ck_assert(!env_name_valid("", false));
	ck_assert(!env_name_valid("A=B", false));
	ck_assert(!env_name_valid("A B", false));
	ck_assert(!env_name_valid("A-B", false));
	ck_assert(!env_name_valid("\xc3\xa9T\xc3\xa9", false));
	char long_name[130];

	memset(long_name, 'A', 129);
	long_name[129] = '\0';
	ck_assert(!env_name_valid(long_name, false));
	long_name[128] = '\0';
	ck_assert(env_name_valid(long_name, false));
}
END_TEST

START_TEST(user_host_and_id_names)
{
	ck_assert(user_name_valid("alice"));
	ck_assert(user_name_valid("www-data"));
	ck_assert(user_name_valid("svc.build_1"));
	ck_assert(user_name_valid("machine$"));
	ck_assert(!user_name_valid("ma$chine"));
	ck_assert(!user_name_valid("$"));
	ck_assert(!user_name_valid("-rf"));
	ck_assert(!user_name_valid("0day"));
	ck_assert(!user_name_valid("al ice"));
	ck_assert(!user_name_valid("alice:root"));
	ck_assert(!user_name_valid(""));
	ck_assert(!user_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	ck_assert(host_name_valid("web1.example.com"));
	ck_assert(!host_name_valid("-web"));
	ck_assert(!host_name_valid(".web"));
	ck_assert(!host_name_valid("web/1"));
	ck_assert(!host_name_valid("*"));
	ck_assert(lease_id_valid("LEASE-20261122-141503-7f3a"));
	ck_assert(lease_id_valid("LEASE-20261122-141503-0123456789abcdef"));
	ck_assert(!lease_id_valid("LEASE-20261122-141503-0123456789abcdef0"));
	ck_assert(!lease_id_valid("LEASE-20261122-141503-7f3"));
	ck_assert(!lease_id_valid("LEASE-20261122-141503-7F3A"));
	ck_assert(!lease_id_valid("LEASE-2026112-141503-7f3a"));
	ck_assert(!lease_id_valid("LEASE-20261122-141503-../x"));
	ck_assert(!lease_id_valid("lease-20261122-141503-7f3a"));
}
END_TEST

START_TEST(capability_names)
{
	ck_assert_int_eq(cap_from_name("CAP_NET_BIND_SERVICE"), 10);
	ck_assert_int_eq(cap_from_name("net_bind_service"), 10);
	ck_assert_int_eq(cap_from_name("cap_sys_admin"), 21);
	ck_assert_int_eq(cap_from_name("chown"), 0);
	ck_assert_int_eq(cap_from_name("checkpoint_restore"), 40);
	ck_assert_int_lt(cap_from_name("cap_"), 0);
	ck_assert_int_lt(cap_from_name("all"), 0);
	ck_assert_str_eq(cap_name(21), "sys_admin");
	ck_assert_str_eq(cap_name(64), "?");
	ck_assert_str_eq(cap_name(-1), "?");
}
END_TEST

#define V(...) ((char *const[]){ __VA_ARGS__, NULL })

START_TEST(args_patterns)
{
	static char *const empty[] = { NULL };

	ck_assert(lease_args_match(NULL, V("anything", "at", "all")));
	ck_assert(lease_args_match(empty, empty));
	ck_assert(!lease_args_match(empty, V("x")));
	ck_assert(lease_args_match(V("restart", "nginx"), V("restart", "nginx")));
	ck_assert(!lease_args_match(V("restart", "nginx"), V("restart", "nginx", "x")));
	ck_assert(!lease_args_match(V("restart", "nginx"), V("restart")));
	ck_assert(!lease_args_match(V("restart", "nginx"), V("stop", "nginx")));
	ck_assert(lease_args_match(V("test-*"), V("test-unit")));
	ck_assert(!lease_args_match(V("test-*"), V("xtest-unit")));
	ck_assert(lease_args_match(V("-j[0-9]"), V("-j2")));
	ck_assert(!lease_args_match(V("-j[0-9]"), V("-j10")));
	/* a trailing "**" is any tail, including none */
	ck_assert(lease_args_match(V("status", "**"), V("status")));
	ck_assert(lease_args_match(V("status", "**"), V("status", "--short", "-b")));
	ck_assert(!lease_args_match(V("status", "**"), V("log", "--short")));
	ck_assert(lease_args_match(V("**"), empty));
	/* "*" is one element, not a tail */
	ck_assert(!lease_args_match(V("*"), V("a", "b")));
	ck_assert(!lease_args_match(V("*"), empty));
	/* a missing argv is no arguments, not a crash */
	ck_assert(lease_args_match(V("**"), NULL));
	ck_assert(!lease_args_match(V("x"), NULL));
}
END_TEST

static Suite *lease_suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("fixtures");

	tcase_add_unchecked_fixture(tc, load_data, unload_data);
	tcase_add_loop_test(tc, fixture_stage, 0, ARRAY_SIZE(expects));
	tcase_add_test(tc, every_fixture_has_an_expectation);
	tcase_add_test(tc, two_signatures_by_one_key_count_once);
	tcase_add_test(tc, unknown_and_retired_keys_never_count);
	tcase_add_test(tc, key_validity_is_judged_at_now);
	tcase_add_test(tc, messages_stay_on_one_line);
	tcase_add_test(tc, valid_fields_are_read);
	tcase_add_loop_test(tc, field_reject, 0, ARRAY_SIZE(field_rejects));
	tcase_add_test(tc, optional_fields_are_read);
	tcase_add_loop_test(tc, terminal_fields_are_read, 0, ARRAY_SIZE(terminal_cases));
	tcase_add_test(tc, assess_fields_are_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsers");
	tcase_add_loop_test(tc, limit_parse, 0, ARRAY_SIZE(limit_cases));
	tcase_add_test(tc, limit_format_round_trips);
	tcase_add_test(tc, limits_json);
	tcase_add_loop_test(tc, net_rule, 0, ARRAY_SIZE(net_cases));
	tcase_add_test(tc, net_rule_match_and_format);
	tcase_add_test(tc, env_names);
	tcase_add_test(tc, user_host_and_id_names);
	tcase_add_test(tc, capability_names);
	tcase_add_test(tc, args_patterns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ck_run(lease_suite());
}
