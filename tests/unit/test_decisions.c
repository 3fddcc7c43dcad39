/* SPDX-License-Identifier: ISC */
/*
 * test_decisions: the decision table tests/data/decisions.json through
 * policy_decide().  Every case is one TAP test: a lease body signed here by
 * the test keys, verified as leasexec would, a policy and a request, each a
 * merge patch over the base; the expected clause (or allow) and the reason.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ck.h"
#include "fixlib.h"
#include "json.h"
#include "policy.h"

static cJSON *table;
static const cJSON *cases, *base;
static struct trust trust;

/* Outside any test: a broken table is an error of the test program. */
static int load_table(void)
{
	static const char *const top[] = { "about", "base", "cases", NULL };
	_cleanup_free_ char *text = NULL;
	struct calyx_err err = { 0 };
	struct json_doc doc;
	size_t n = 0;

	text = ck_read_data("decisions.json", &n);
	if (!text || json_parse_strict(text, n, JSON_MAX_SIZE, "decisions", &doc, &err) < 0 ||
	    json_check_object(doc.root, top, "", &err) < 0) {
		fprintf(stderr, "decisions.json: %s: %s\n", err.where, err.msg);
		return -1;
	}
	table = doc.root;
	cases = json_member(table, "cases");
	base = json_member(table, "base");
	return cJSON_IsArray(cases) && cJSON_IsObject(base) ? 0 : -1;
}

static void load_trust(void)
{
	ck_assert_int_eq(fix_trust_build(&trust), 0);
}

static void free_trust(void)
{
	trust_free(&trust);
}

static const cJSON *field(const cJSON *c, const char *key)
{
	return json_member(c, key);
}

/* The base value of key, merge-patched by the case's. */
static cJSON *patched(cJSON *start, const cJSON *c, const char *key)
{
	const cJSON *patch = field(c, key);

	return patch ? fix_merge_patch(start, patch) : start;
}

static size_t signers(const cJSON *c, enum fix_key *ks)
{
	const cJSON *list = field(c, "signers") ? field(c, "signers") : field(base, "signers"), *e;
	size_t n = 0;

	cJSON_ArrayForEach(e, list) {
		size_t k;

		for (k = 0; k < FK__MAX && strcmp(fix_key(k)->name, e->valuestring) != 0; k++)
			;
		ck_assert_msg(k < FK__MAX, "no test key \"%s\"", e->valuestring);
		ck_assert_uint_lt(n, SIG_MAX_SIGNATURES);
		ks[n++] = (enum fix_key)k;
	}
	ck_assert_uint_gt(n, 0);
	return n;
}

static void build_lease(const cJSON *c, struct lease *l)
{
	enum fix_key ks[SIG_MAX_SIGNATURES];
	size_t n = signers(c, ks);
	struct calyx_err err = { 0 };
	cJSON *b = fix_base_body();
	int r;

	cJSON_ReplaceItemInObjectCaseSensitive(b, "issuer", cJSON_CreateString(fix_key(ks[0])->kid));
	b = patched(b, c, "lease");
	r = fix_lease(b, ks, n, &trust, FIX_NOW, l, &err);
	cJSON_Delete(b);
	ck_assert_msg(r == 0, "the case's lease does not verify: %s: %s", err.where, err.msg);
}

static void build_policy(const cJSON *c, struct policy *p)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct calyx_err err = { 0 };
	cJSON *pj;
	size_t n = 0;

	text = ck_read_data("policy.json", &n);
	ck_assert_ptr_nonnull(text);
	pj = patched(cJSON_Parse(text), c, "policy");
	out = cJSON_PrintUnformatted(pj);
	cJSON_Delete(pj);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(policy_parse(out, strlen(out), p, &err) == 0, "the case's policy: %s: %s",
		      err.where, err.msg);
}

/* A NULL-terminated vector of the strings of array a (borrowed from the tree). */
static char **strings(const cJSON *a)
{
	char **v = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*v));
	const cJSON *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(v);
	cJSON_ArrayForEach(e, a)
		v[n++] = e->valuestring;
	return v;
}

static const char *opt_string(const cJSON *o, const char *key)
{
	const cJSON *s = field(o, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* req borrows from rj, groups and argv: keep them alive while deciding. */
static void build_request(const cJSON *rj, struct request *req, char ***groups, char ***argv)
{
	static const char *const keys[] = { "argv", "cwd", "groups", "home", "host", "killswitch",
					    "now", "revoked", "user", "uses", NULL };
	struct calyx_err err = { 0 };
	const char *now = opt_string(rj, "now");

	ck_assert_msg(json_check_object(rj, keys, "request", &err) == 0, "%s: %s", err.where,
		      err.msg);
	memset(req, 0, sizeof(*req));
	ck_assert_msg(now && rfc3339_parse(now, &req->now) == 0, "request.now");
	*groups = strings(field(rj, "groups"));
	*argv = strings(field(rj, "argv"));
	ck_assert_ptr_nonnull((*argv)[0]);
	req->uid = 1000;
	req->user = opt_string(rj, "user");
	req->groups = *groups;
	req->host = opt_string(rj, "host");
	req->argv0 = (*argv)[0];
	req->args = *argv + 1;
	req->cwd = opt_string(rj, "cwd");
	req->home = opt_string(rj, "home");
	req->revoked = cJSON_IsTrue(field(rj, "revoked"));
	req->killswitch = cJSON_IsTrue(field(rj, "killswitch"));
	req->uses = (int64_t)field(rj, "uses")->valuedouble;
}

static void check_eff(const cJSON *eff, const struct decision *d, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, eff) {
		char have[32];
		int id;

		for (id = 0; id < LIM__MAX && strcmp(limit_name(id), e->string) != 0; id++)
			;
		ck_assert_msg(id < LIM__MAX, "%s: no limit \"%s\"", name, e->string);
		if (cJSON_IsNull(e)) {
			ck_assert_msg(!(d->eff.set & (1u << id)), "%s: %s is set", name, e->string);
			continue;
		}
		ck_assert_msg(d->eff.set & (1u << id), "%s: %s is not set", name, e->string);
		limit_format(id, d->eff.v[id], have, sizeof(have));
		ck_assert_msg(strcmp(have, e->valuestring) == 0, "%s: %s is %s, want %s", name,
			      e->string, have, e->valuestring);
	}
}

/* A reason and a hint are printed as one line each, whatever they quote. */
static void check_one_line(const char *s, const char *name)
{
	for (const char *p = s; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
			      "%s: control byte 0x%02x in \"%s\"", name, *p, s);
}

static void check_decision(const cJSON *c, const struct decision *d)
{
	const char *name = opt_string(c, "name"), *expect = opt_string(c, "expect");
	const char *reason = opt_string(c, "reason"), *cmd = opt_string(c, "cmd");

	check_one_line(d->reason, name);
	check_one_line(d->hint, name);

	if (strcmp(expect, "allow") == 0) {
		ck_assert_msg(d->allow, "%s: denied by %s: %s", name, d->clause, d->reason);
		ck_assert_str_eq(d->clause, "");
		ck_assert_msg(cmd, "%s: an allow case names its command", name);
		ck_assert_str_eq(d->cmd_path, cmd);
		ck_assert_int_ge(d->cmd_index, 0);
		if (field(c, "eff"))
			check_eff(field(c, "eff"), d, name);
		return;
	}
	ck_assert_msg(!d->allow, "%s: allowed, expected %s", name, expect);
	ck_assert_msg(strcmp(d->clause, expect) == 0, "%s: refused by %s (%s), expected %s", name,
		      d->clause, d->reason, expect);
	ck_assert_msg(!reason || strstr(d->reason, reason), "%s: reason \"%s\" lacks \"%s\"", name,
		      d->reason, reason);
}

START_TEST(decision)
{
	static const char *const keys[] = { "cmd", "eff", "expect", "lease", "name", "policy",
					    "reason", "request", "signers", NULL };
	const cJSON *c = cJSON_GetArrayItem(cases, _i);
	_cleanup_free_ char **groups = NULL, **argv = NULL;
	struct calyx_err err = { 0 };
	struct decision d;
	struct request req;
	struct policy p;
	struct lease l;
	cJSON *rj;

	ck_assert_msg(json_check_object(c, keys, "case", &err) == 0, "case %d: %s: %s", _i,
		      err.where, err.msg);
	ck_assert_msg(opt_string(c, "name") && opt_string(c, "expect"), "case %d: name, expect", _i);
	build_lease(c, &l);
	build_policy(c, &p);
	rj = patched(cJSON_Duplicate(field(base, "request"), 1), c, "request");
	build_request(rj, &req, &groups, &argv);
	ck_assert_int_eq(policy_decide(&l, &req, &p, &d), 0);
	check_decision(c, &d);
	cJSON_Delete(rj);
	lease_free(&l);
	policy_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decisions");
	TCase *tc = tcase_create("table");
	int rc;

	if (load_table() < 0)
		return 99;
	tcase_add_unchecked_fixture(tc, load_trust, free_trust);
	tcase_add_loop_test(tc, decision, 0, cJSON_GetArraySize(cases));
	suite_add_tcase(s, tc);
	rc = ck_run(s);
	cJSON_Delete(table);
	return rc;
}
