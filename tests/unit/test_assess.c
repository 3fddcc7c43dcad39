/* SPDX-License-Identifier: ISC */
/*
 * test_assess: the built-in assessors over the corpus of tests/data/assess
 * (a table of precision and recall per kind), the pure decision, what a
 * finding may hold (never the secret), the interpreters' code arguments, the
 * strict readers of external assessors' JSON, and policy.assess parsing.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "assess.h"
#include "ck.h"
#include "policy.h"
#include "sig.h"

static char *const never_writable[] = { "/etc", "/usr", "/var/lib/calyx", NULL };
static char *const branches[] = { "main", "master", NULL };
static const struct assess_ctx ctx = { never_writable, branches };

/* ---- the corpus -------------------------------------------------------- */

#define MAX_KINDS 64

struct tally {
	const char *kind;
	unsigned tp, fp, fn, files_pos, files_neg;
};

static struct tally *tally_of(struct tally *t, const char *kind)
{
	for (size_t i = 0; i < MAX_KINDS; i++) {
		if (!t[i].kind)
			t[i].kind = kind;
		if (strcmp(t[i].kind, kind) == 0)
			return &t[i];
	}
	ck_abort_msg("too many kinds");
	return NULL;
}

static bool in_list(const char *list, const char *kind)
{
	size_t n = strlen(kind);

	for (const char *p = list; (p = strstr(p, kind)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

static void scan_file(const char *name, const char *data, size_t len, struct tally *t)
{
	const char *h = strstr(data, "#! assess-corpus: expect=");
	char expect[256];
	struct assess_report *r = calloc(1, sizeof(*r));
	struct assess_text txt = { .src = ASRC_FILE, .name = name, .data = data, .len = len };

	ck_assert_msg(h, "%s has no assess-corpus header", name);
	sscanf(h + 25, "%255[^\n]", expect);
	assess_report_init(r);
	assess_secrets(&txt, r);
	assess_danger_text(&txt, &ctx, r);
	for (const struct assess_rule *rule = assess_rules; rule->kind; rule++) {
		struct tally *k = tally_of(t, rule->kind);
		bool want = in_list(expect, rule->kind), got = false;

		for (size_t i = 0; i < r->n; i++)
			got |= strcmp(r->f[i].kind, rule->kind) == 0;
		k->tp += want && got;
		k->fp += !want && got;
		k->fn += want && !got;
		k->files_pos += want;
		/* a look-alike of a kind: a file of the same assessor that must not fire */
		k->files_neg += !want;
		if (want != got)
			printf("# %s: %s %s\n", name, rule->kind, got ? "fired (false positive)" :
			       "missed (false negative)");
	}
	free(r);
}

START_TEST(corpus_precision_recall)
{
	struct tally t[MAX_KINDS] = { 0 };
	char dir[4096];
	struct dirent *de;
	DIR *d;
	unsigned files = 0, worst_tp = 0;

	snprintf(dir, sizeof(dir), "%s/assess", ck_data_dir());
	d = opendir(dir);
	ck_assert_msg(d, "no corpus in %s", dir);
	while ((de = readdir(d))) {
		char rel[512];
		size_t len;
		char *data;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "assess/%s", de->d_name);
		data = ck_read_data(rel, &len);
		scan_file(de->d_name, data, len, t);
		free(data);
		files++;
	}
	closedir(d);
	ck_assert_uint_ge(files, 60);
	printf("# %-24s %4s %4s %4s %9s %7s\n", "kind", "tp", "fp", "fn", "precision", "recall");
	for (size_t i = 0; i < MAX_KINDS && t[i].kind; i++) {
		double p = t[i].tp + t[i].fp ? (double)t[i].tp / (t[i].tp + t[i].fp) : 1.0;
		double rc = t[i].tp + t[i].fn ? (double)t[i].tp / (t[i].tp + t[i].fn) : 0.0;

		printf("# %-24s %4u %4u %4u %9.2f %7.2f\n", t[i].kind, t[i].tp, t[i].fp, t[i].fn, p,
		       rc);
		ck_assert_msg(t[i].files_pos >= 1, "%s: no true positive in the corpus", t[i].kind);
		ck_assert_msg(t[i].fp + t[i].fn == 0, "%s: %u false positives, %u false negatives",
			      t[i].kind, t[i].fp, t[i].fn);
		worst_tp = worst_tp ? worst_tp : t[i].tp;
	}
	ck_assert_uint_ge(worst_tp, 1);
}
END_TEST

/* Every rule has a look-alike file that names it in a comment: "la-" files. */
START_TEST(corpus_has_lookalikes)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	unsigned la = 0;

	snprintf(dir, sizeof(dir), "%s/assess", ck_data_dir());
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		la += strncmp(de->d_name, "la-", 3) == 0;
	closedir(d);
	/* at least one look-alike for each rule family (12 secrets, 10 danger) */
	ck_assert_uint_ge(la, 22);
}
END_TEST

/* ---- findings never hold the secret ---------------------------------------- */

static const char *const secrets[] = {
	"ghp_Zq3xY7wV1uT5sR9pN2mL6kJ0hG4fD8cB2aZ9",
	"AKIAQ3ZR7TLP2XW9MK4D",
	"postgres://svc:Vq93kLmZ22xPw@db/app",
	"xoxb-112233445566-778899001122-AbCdEfGhIjKlMnOpQrStUvWx",
};

START_TEST(no_secret_in_findings)
{
	struct assess_report *r = calloc(1, sizeof(*r));
	struct assess_text t = { .src = ASRC_ENV, .name = "env X", .data = secrets[_i],
				 .len = strlen(secrets[_i]) };
	_cleanup_cjson_ cJSON *j = NULL;
	_cleanup_free_ char *s = NULL;
	char line[512];

	assess_report_init(r);
	assess_secrets(&t, r);
	ck_assert_uint_ge(r->n, 1);
	ck_assert_int_eq(r->level >= AL_HIGH, 1);
	j = assess_report_json(r, ASSESS_MAX_FINDINGS);
	s = cJSON_PrintUnformatted(j);
	/* no 8-byte window of the secret anywhere in the report */
	for (size_t i = 0; i + 8 <= strlen(secrets[_i]); i++) {
		char w[9];

		memcpy(w, secrets[_i] + i, 8);
		w[8] = '\0';
		if (strspn(w, "postgres:/@dbapxo") == 8)
			continue; /* "postgres" and friends are not the secret */
		ck_assert_msg(!strstr(s, w), "report holds \"%s\": %s", w, s);
		assess_finding_line(&r->f[0], line, sizeof(line));
		ck_assert_msg(!strstr(line, w), "finding line holds \"%s\"", w);
	}
	ck_assert_uint_eq(strlen(r->f[0].hash8), 8);
	free(r);
}
END_TEST

START_TEST(hash_prefix_is_sha256_of_the_match)
{
	const char *tok = "ghp_Zq3xY7wV1uT5sR9pN2mL6kJ0hG4fD8cB2aZ9";
	struct assess_report *r = calloc(1, sizeof(*r));
	char text[128], hex[65];
	uint8_t h[32];
	struct assess_text t = { .src = ASRC_FILE, .name = "x.sh", .data = text };

	snprintf(text, sizeof(text), "#!/bin/sh\n  T=%s\n", tok);
	t.len = strlen(text);
	assess_report_init(r);
	assess_secrets(&t, r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->f[0].kind, "github-token");
	ck_assert_str_eq(r->f[0].where, "x.sh:2:5");
	sig_sha256(tok, strlen(tok), h);
	sig_hex(h, 32, hex);
	ck_assert_int_eq(strncmp(r->f[0].hash8, hex, 8), 0);
	free(r);
}
END_TEST

START_TEST(report_is_bounded)
{
	struct assess_report *r = calloc(1, sizeof(*r));

	assess_report_init(r);
	for (int i = 0; i < ASSESS_MAX_FINDINGS + 10; i++)
		assess_add(r, i == ASSESS_MAX_FINDINGS + 5 ? AL_BLOCKED : i == 200 ? AL_HIGH : AL_LOW,
			   "danger", "k", "w", NULL, 0);
	ck_assert_uint_eq(r->n, ASSESS_MAX_FINDINGS);
	ck_assert_uint_eq(r->dropped, 10);
	{
		_cleanup_cjson_ cJSON *j = assess_report_json(r, 64);

		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 64);
		/* cut to 64, the highest kept finding still comes first */
		ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j,
				 "findings"), 0), "level")->valuestring, "HIGH");
		ck_assert_int_eq(cJSON_GetObjectItem(j, "dropped")->valueint,
				 ASSESS_MAX_FINDINGS - 64 + 10);
	}
	/* a dropped finding still raises the level */
	ck_assert_int_eq(r->level, AL_BLOCKED);
	free(r);
}
END_TEST

/* ---- the decision ----------------------------------------------------------- */

static const struct {
	enum assess_level level, policy_max, override_max;
	int lease_max;
	bool lease_override, override;
	enum assess_outcome want;
	const char *reason; /* substring of the reason, or NULL */
} decisions[] = {
	{ AL_LOW, AL_MEDIUM, AL_HIGH, -1, false, false, AO_PASSED, NULL },
	{ AL_MEDIUM, AL_MEDIUM, AL_HIGH, -1, false, false, AO_PASSED, NULL },
	{ AL_HIGH, AL_MEDIUM, AL_HIGH, -1, false, false, AO_DENIED, "above the ceiling MEDIUM" },
	/* the lease lowers the ceiling ... */
	{ AL_MEDIUM, AL_MEDIUM, AL_HIGH, AL_LOW, false, false, AO_DENIED, "ceiling LOW" },
	/* ... and cannot raise it (policy_check_lease refuses such a lease too) */
	{ AL_HIGH, AL_MEDIUM, AL_HIGH, AL_BLOCKED, false, false, AO_DENIED, "ceiling MEDIUM" },
	/* override: allowed, refused by the lease, refused by the policy */
	{ AL_HIGH, AL_MEDIUM, AL_HIGH, -1, true, true, AO_OVERRIDDEN, NULL },
	{ AL_HIGH, AL_MEDIUM, AL_HIGH, -1, false, true, AO_DENIED, "does not allow --override" },
	{ AL_BLOCKED, AL_MEDIUM, AL_HIGH, -1, true, true, AO_DENIED, "cannot be overridden" },
	{ AL_BLOCKED, AL_MEDIUM, AL_BLOCKED, -1, true, true, AO_OVERRIDDEN, NULL },
	/* an override that is not needed changes nothing */
	{ AL_LOW, AL_MEDIUM, AL_HIGH, -1, true, true, AO_PASSED, NULL },
	{ AL_BLOCKED, AL_BLOCKED, AL_HIGH, -1, false, false, AO_PASSED, NULL },
};

START_TEST(decide_table)
{
	struct assess_report *r = calloc(1, sizeof(*r));
	struct assess_terms t = {
		.policy_max = decisions[_i].policy_max,
		.lease_max = decisions[_i].lease_max,
		.lease_override = decisions[_i].lease_override,
		.override_max = decisions[_i].override_max,
		.override = decisions[_i].override,
		.lease_id = "LEASE-20260101-000000-abcd",
	};
	struct assess_decision d;

	assess_report_init(r);
	assess_add(r, decisions[_i].level, "danger", "rm-rf-root", "argv[0]", NULL, 0);
	assess_decide(&t, r, &d);
	ck_assert_int_eq(d.outcome, decisions[_i].want);
	if (decisions[_i].reason)
		ck_assert_msg(strstr(d.reason, decisions[_i].reason), "reason: %s", d.reason);
	if (d.outcome == AO_DENIED)
		ck_assert_msg(strstr(d.reason, "rm-rf-root in argv[0]"), "top finding: %s", d.reason);
	free(r);
}
END_TEST

START_TEST(decide_hint_names_override_only_when_possible)
{
	struct assess_report *r = calloc(1, sizeof(*r));
	struct assess_terms t = { .policy_max = AL_MEDIUM, .lease_max = -1,
				  .override_max = AL_HIGH };
	struct assess_decision d;

	assess_report_init(r);
	assess_add(r, AL_HIGH, "secrets", "jwt", "env A", "x", 1);
	assess_decide(&t, r, &d);
	ck_assert_ptr_null(strstr(d.hint, "--override \""));
	t.lease_override = true;
	assess_decide(&t, r, &d);
	ck_assert_ptr_nonnull(strstr(d.hint, "--override \"REASON\""));
	free(r);
}
END_TEST

/* ---- what an argv reads as code ------------------------------------------- */

static const struct {
	const char *argv[8];
	const char *code, *inl;
} code_args[] = {
	{ { "bash", "-e", "x.sh", "a" }, "x.sh", NULL },
	{ { "/bin/sh", "-c", "rm -rf /", "x.sh" }, NULL, "rm -rf /" },
	{ { "sh", "-ec", "echo" }, NULL, "echo" },
	{ { "python3", "-u", "run.py", "--x" }, "run.py", NULL },
	{ { "python3.11", "-W", "ignore", "t.py" }, "t.py", NULL },
	{ { "python3", "-m", "pytest", "t.py" }, NULL, NULL },
	{ { "perl", "-e", "print 1" }, NULL, "print 1" },
	{ { "node", "app.js" }, "app.js", NULL },
	{ { "make", "-j2", "-f", "build.mk", "all" }, "build.mk", NULL },
	{ { "make", "--file=x.mk" }, "x.mk", NULL },
	{ { "make", "all" }, NULL, NULL },
	{ { "ls", "x.sh" }, NULL, NULL },
	{ { "bash", "--", "s.sh" }, "s.sh", NULL },
};

START_TEST(interpreter_code_args)
{
	const char *code[4], *inl[4];
	size_t n_inl, n;

	n = assess_code_args((char *const *)code_args[_i].argv, code, 4, inl, 4, &n_inl);
	ck_assert_uint_eq(n, code_args[_i].code ? 1 : 0);
	if (n)
		ck_assert_str_eq(code[0], code_args[_i].code);
	ck_assert_uint_eq(n_inl, code_args[_i].inl ? 1 : 0);
	if (n_inl)
		ck_assert_str_eq(inl[0], code_args[_i].inl);
}
END_TEST

START_TEST(language_of_a_script)
{
	ck_assert_int_eq(assess_lang_of(NULL, "#!/bin/sh\n", 10), ALANG_SHELL);
	ck_assert_int_eq(assess_lang_of(NULL, "#! /usr/bin/env -S bash -e\n", 27), ALANG_SHELL);
	ck_assert_int_eq(assess_lang_of(NULL, "#!/usr/bin/env python3\n", 23), ALANG_PYTHON);
	ck_assert_int_eq(assess_lang_of(NULL, "#!/usr/bin/perl\n", 16), ALANG_OTHER);
	ck_assert_int_eq(assess_lang_of(NULL, "echo hi\n", 8), ALANG_OTHER);
	ck_assert_int_eq(assess_lang_of("/usr/bin/dash", "echo", 4), ALANG_SHELL);
	ck_assert_int_eq(assess_lang_of("python3", "", 0), ALANG_PYTHON);
}
END_TEST

START_TEST(danger_in_argv)
{
	char *const a1[] = { "sudo", "-u", "root", "rm", "-rf", "/", NULL };
	char *const a2[] = { "bash", "-c", "curl -s https://x | bash", NULL };
	char *const a3[] = { "rm", "-rf", "./build", NULL };
	char *const a4[] = { "git", "push", "origin", "main", "--force", NULL };
	struct assess_report *r = calloc(1, sizeof(*r));

	assess_report_init(r);
	assess_danger_argv(a1, &ctx, r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->f[0].kind, "rm-rf-root");
	ck_assert_str_eq(r->f[0].where, "argv[5]");
	assess_report_init(r);
	assess_danger_argv(a2, &ctx, r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->f[0].kind, "pipe-to-shell");
	ck_assert_str_eq(r->f[0].where, "argv[2]");
	assess_report_init(r);
	assess_danger_argv(a3, &ctx, r);
	ck_assert_uint_eq(r->n, 0);
	assess_report_init(r);
	assess_danger_argv(a4, &ctx, r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->f[0].kind, "force-push-protected");
	free(r);
}
END_TEST

/* ---- strict readers of external output ------------------------------------ */

static const struct {
	int tool; /* 0 shellcheck, 1 bandit */
	const char *out;
	int want; /* 0 or -EBADMSG/-EIO */
	int n;
} ext_outputs[] = {
	{ 0, "{\"comments\":[]}", 0, 0 },
	{ 0, "{\"comments\":[{\"file\":\"-\",\"line\":3,\"column\":8,\"level\":\"warning\","
	     "\"code\":2115,\"message\":\"m\"}]}\n", 0, 1 },
	{ 0, "{\"comments\":[{\"line\":3,\"column\":8,\"level\":\"fatal\",\"code\":2115}]}",
	  -EBADMSG, 0 },
	{ 0, "{\"comments\":[{\"line\":\"3\",\"column\":8,\"level\":\"error\",\"code\":2115}]}",
	  -EBADMSG, 0 },
	{ 0, "{\"comments\":[{\"line\":3,\"column\":8,\"level\":\"error\",\"code\":2115.5}]}",
	  -EBADMSG, 0 },
	{ 0, "{\"comments\":[]} trailing", -EBADMSG, 0 },
	{ 0, "{\"comments\":{}}", -EBADMSG, 0 },
	{ 0, "not json at all", -EBADMSG, 0 },
	{ 0, "", -EBADMSG, 0 },
	{ 1, "{\"errors\":[],\"results\":[{\"test_id\":\"B602\",\"issue_severity\":\"HIGH\","
	     "\"line_number\":2,\"issue_text\":\"x\"}],\"metrics\":{\"a\":3.0}}", 0, 1 },
	{ 1, "{\"errors\":[{\"filename\":\"-\",\"reason\":\"syntax error\"}],\"results\":[]}",
	  -EIO, 0 },
	{ 1, "{\"errors\":[],\"results\":[{\"test_id\":\"X602\",\"issue_severity\":\"HIGH\","
	     "\"line_number\":2}]}", -EBADMSG, 0 },
	{ 1, "{\"results\":[]}", -EBADMSG, 0 },
};

START_TEST(external_output_is_read_strictly)
{
	cJSON *norm = NULL;
	const char *o = ext_outputs[_i].out;
	int r = ext_outputs[_i].tool ? assess_parse_bandit(o, strlen(o), &norm) :
				       assess_parse_shellcheck(o, strlen(o), &norm);

	ck_assert_int_eq(r, ext_outputs[_i].want);
	if (r == 0)
		ck_assert_int_eq(cJSON_GetArraySize(norm), ext_outputs[_i].n);
	else
		ck_assert_ptr_null(norm);
	cJSON_Delete(norm);
}
END_TEST

START_TEST(external_output_with_nul_is_refused)
{
	const char out[] = "{\"comments\":[]}\0{}";
	cJSON *norm = NULL;

	ck_assert_int_eq(assess_parse_shellcheck(out, sizeof(out) - 1, &norm), -EBADMSG);
}
END_TEST

/* ---- policy.assess --------------------------------------------------------- */

static const struct {
	const char *assess;
	int want;
} policies[] = {
	{ "{}", 0 },
	{ "{\"assessors\":[\"secrets\",\"shellcheck\"],\"default_max\":\"LOW\","
	  "\"on_error\":\"HIGH\",\"override_max\":\"BLOCKED\",\"timeout\":\"10s\","
	  "\"protected_branches\":[\"main\"],\"user\":\"nobody\",\"max_file\":\"1M\","
	  "\"limits\":{\"memory\":\"512M\",\"pids\":32,\"cpu\":5},"
	  "\"external\":{\"shellcheck\":{\"path\":\"/usr/bin/shellcheck\","
	  "\"levels\":{\"error\":\"HIGH\"}}}}", 0 },
	{ "{\"assessors\":[\"semgrep\"]}", -EINVAL },
	{ "{\"default_max\":\"SEVERE\"}", -EINVAL },
	{ "{\"default_max\":\"medium\"}", -EINVAL },
	{ "{\"timeout\":\"0s\"}", -EINVAL },
	{ "{\"timeout\":5}", -EINVAL },
	{ "{\"user\":\"root\"}", -EINVAL },
	{ "{\"unknown\":1}", -EINVAL },
	{ "{\"external\":{\"shellcheck\":{\"path\":\"shellcheck\"}}}", -EINVAL },
	{ "{\"external\":{\"bandit\":{\"levels\":{\"CRITICAL\":\"HIGH\"}}}}", -EINVAL },
	{ "{\"limits\":{\"memory\":\"1K\"}}", -EINVAL },
	{ "{\"levels\":{\"jwt\":\"BLOCKED\",\"rm-rf-home\":\"LOW\"}}", 0 },
	{ "{\"levels\":{\"nosuch\":\"LOW\"}}", -EINVAL },
	{ "{\"levels\":{\"jwt\":\"SEVERE\"}}", -EINVAL },
	{ "{\"levels\":[]}", -EINVAL },
};

START_TEST(policy_assess_section)
{
	size_t len;
	char *base = ck_read_data("policy.json", &len), *text;
	struct calyx_err err = { 0 };
	struct policy p;
	char *brace = strrchr(base, '}');
	int r;

	ck_assert_ptr_nonnull(brace);
	*brace = '\0';
	ck_assert_int_ge(asprintf(&text, "%s, \"assess\": %s}", base, policies[_i].assess), 0);
	r = policy_parse(text, strlen(text), &p, &err);
	ck_assert_msg(r == policies[_i].want, "%s: %d (%s: %s)", policies[_i].assess, r,
		      err.where, err.msg);
	if (r == 0) {
		ck_assert(p.assess.enabled);
		policy_free(&p);
	}
	free(text);
	free(base);
}
END_TEST

START_TEST(policy_without_assess_section)
{
	size_t len;
	char *text = ck_read_data("policy.json", &len);
	struct calyx_err err = { 0 };
	struct policy p;

	ck_assert_int_eq(policy_parse(text, len, &p, &err), 0);
	ck_assert(!p.assess.enabled);
	policy_free(&p);
	free(text);
}
END_TEST

/* policy_check_lease: a lease may lower the ceiling, never raise it or ask for
 * an assessment the policy does not have. */
static const struct {
	const char *assess; /* the policy's, or NULL: none */
	bool max_set, override;
	enum assess_level max;
	const char *clause; /* NULL: allowed */
} lease_terms[] = {
	{ "{\"default_max\":\"MEDIUM\"}", true, false, AL_LOW, NULL },
	{ "{\"default_max\":\"MEDIUM\"}", true, false, AL_MEDIUM, NULL },
	{ "{\"default_max\":\"MEDIUM\"}", true, false, AL_HIGH, "policy.assess.default_max" },
	{ "{\"default_max\":\"MEDIUM\"}", false, true, AL_LOW, NULL },
	{ NULL, true, false, AL_LOW, "policy.assess" },
	{ NULL, false, true, AL_LOW, "policy.assess" },
	{ NULL, false, false, AL_LOW, NULL },
};

START_TEST(lease_within_policy_assess)
{
	size_t len;
	char *base = ck_read_data("policy.json", &len), *text = base;
	struct calyx_err err = { 0 };
	struct policy p;
	struct lease l = { 0 };
	struct decision d;
	char *hosts[] = { "*", NULL }, *empty[] = { NULL };
	struct lease_cmd cmd = { .path = "/bin/true" };

	if (lease_terms[_i].assess) {
		*strrchr(base, '}') = '\0';
		ck_assert_int_ge(asprintf(&text, "%s, \"assess\": %s}", base, lease_terms[_i].assess),
				 0);
	}
	ck_assert_int_eq(policy_parse(text, strlen(text), &p, &err), 0);
	p.allow_wildcard_hosts = true;
	l.id = "LEASE-20260101-000000-abcd";
	l.hosts = hosts;
	l.cmds = &cmd;
	l.n_cmds = 1;
	l.rw = l.ro = l.exec = l.env_set = l.cwd = l.env_allow = empty;
	l.expires_at = 60;
	l.assess_max_set = lease_terms[_i].max_set;
	l.assess_max = (int)lease_terms[_i].max;
	l.assess_override = lease_terms[_i].override;
	policy_check_lease(&p, &l, false, &d);
	if (lease_terms[_i].clause)
		ck_assert_msg(!d.allow && strcmp(d.clause, lease_terms[_i].clause) == 0,
			      "allowed or wrong clause: %s (%s)", d.clause, d.reason);
	else
		ck_assert_msg(d.allow, "%s: %s", d.clause, d.reason);
	policy_free(&p);
	if (text != base)
		free(text);
	free(base);
}
END_TEST

/* policy assess.levels changes a built-in rule's level, and only that rule's. */
START_TEST(policy_rule_levels)
{
	struct assess_policy pol;
	struct assess_env e = { .pol = &pol };
	struct assess_report *r = calloc(1, sizeof(*r));
	const char *text = "#!/bin/sh\nrm -rf ~\nrm -rf /\n";
	cJSON *o = cJSON_Parse("{\"levels\":{\"rm-rf-home\":\"LOW\",\"rm-rf-root\":\"MEDIUM\"}}");
	struct calyx_err err = { 0 };

	ck_assert_int_eq(assess_policy_parse(o, &pol, &err), 0);
	cJSON_Delete(o);
	assess_report_init(r);
	ck_assert_int_eq(assess_file(&e, "x.sh", text, strlen(text), NULL, r, NULL), 0);
	ck_assert_uint_eq(r->n, 2);
	ck_assert_str_eq(r->f[0].kind, "rm-rf-home");
	ck_assert_int_eq(r->f[0].level, AL_LOW);
	ck_assert_int_eq(r->f[1].level, AL_MEDIUM);
	ck_assert_int_eq(r->level, AL_MEDIUM);
	assess_policy_free(&pol);
	/* without levels: the rules' own */
	assess_policy_defaults(&pol);
	assess_report_init(r);
	assess_file(&e, "x.sh", text, strlen(text), NULL, r, NULL);
	ck_assert_int_eq(r->level, AL_BLOCKED);
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("assess");
	TCase *tc = tcase_create("assess");

	tcase_add_test(tc, corpus_precision_recall);
	tcase_add_test(tc, corpus_has_lookalikes);
	tcase_add_loop_test(tc, no_secret_in_findings, 0, ARRAY_SIZE(secrets));
	tcase_add_test(tc, hash_prefix_is_sha256_of_the_match);
	tcase_add_test(tc, report_is_bounded);
	tcase_add_loop_test(tc, decide_table, 0, ARRAY_SIZE(decisions));
	tcase_add_test(tc, decide_hint_names_override_only_when_possible);
	tcase_add_loop_test(tc, interpreter_code_args, 0, ARRAY_SIZE(code_args));
	tcase_add_test(tc, language_of_a_script);
	tcase_add_test(tc, danger_in_argv);
	tcase_add_loop_test(tc, external_output_is_read_strictly, 0, ARRAY_SIZE(ext_outputs));
	tcase_add_test(tc, external_output_with_nul_is_refused);
	tcase_add_loop_test(tc, policy_assess_section, 0, ARRAY_SIZE(policies));
	tcase_add_test(tc, policy_without_assess_section);
	tcase_add_test(tc, policy_rule_levels);
	tcase_add_loop_test(tc, lease_within_policy_assess, 0, ARRAY_SIZE(lease_terms));
	suite_add_tcase(s, tc);
	return ck_run(s);
}
